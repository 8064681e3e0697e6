"""POST /usage, /usage/batch, /quote and GET /subaccounts/{id}/ledger (docs/api.md#usage)."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import AgencyPriceFactory, SubAccountFactory
from wallets.ledger.models import Entry
from wallets.usage.models import UsageCharge

pytestmark = pytest.mark.django_db

CHARGE_KEYS = {"id", "sub_account", "item", "quantity", "unit_price", "amount", "currency",
               "billed_to", "wallet_balance", "replayed"}


def event(sub_account, key="k1", **measure):
    body = {"sub_account": str(sub_account.pk), "item": "sms_outbound", "idempotency_key": key}
    body.update(measure or {"quantity": "2"})
    return body


def test_usage_answers_201_with_the_contract_charge(api, sub_account):
    AgencyPriceFactory(agency=api.agency)
    response = api.post("/api/v1/usage", event(sub_account, message_body="Hi 😀"),
                        format="json")
    assert response.status_code == 201
    body = response.json()
    assert body.keys() >= CHARGE_KEYS
    assert body | {"id": None} == body | {
        "id": None, "sub_account": str(sub_account.pk), "item": "sms_outbound",
        "quantity": "1", "unit_price": "0.015000", "amount": "0.015000", "currency": "USD",
        "billed_to": "wallet", "wallet_balance": "-0.015000", "replayed": False,
        "price_source": "agency",
        "details": {"encoding": "UCS-2", "segments": 1, "characters": 4, "units": 5}}


def test_replay_answers_200_with_the_first_charge(api, sub_account):
    first = api.post("/api/v1/usage", event(sub_account), format="json").json()
    response = api.post("/api/v1/usage", event(sub_account), format="json")
    assert response.status_code == 200
    assert response.json() == first | {"replayed": True}
    assert Entry.objects.count() == 1


def test_same_key_with_another_event_answers_409(api, sub_account):
    api.post("/api/v1/usage", event(sub_account), format="json")
    response = api.post("/api/v1/usage", event(sub_account, quantity="3"), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert "idempotency_key" in response.json()["error"]["fields"]


@pytest.mark.parametrize(("change", "field"), [
    ({"item": "sms_premium"}, "item"),
    ({"item": None}, "item"),
    ({"quantity": "abc"}, "quantity"),
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "1.1234567"}, "quantity"),
    ({"quantity": 1.5}, "quantity"),
    ({"quantity": None}, "quantity"),  # none of the measures
    ({"message_body": "hi"}, "message_body"),  # both quantity and message_body
    ({"quantity": None, "duration_seconds": 30}, "duration_seconds"),  # not a call item
    ({"item": "call_inbound", "quantity": None, "duration_seconds": -1}, "duration_seconds"),
    ({"item": "call_inbound", "quantity": None, "duration_seconds": "60"}, "duration_seconds"),
    ({"idempotency_key": ""}, "idempotency_key"),
    ({"idempotency_key": "k" * 256}, "idempotency_key"),
    ({"idempotency_key": None}, "idempotency_key"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
    ({"sub_account": "not-a-uuid"}, "sub_account"),
    ({"colour": "red"}, "colour"),
])
def test_bad_events_answer_400_naming_the_field(api, sub_account, change, field):
    body = {**event(sub_account), **change}
    body = {name: value for name, value in body.items() if value is not None}
    response = api.post("/api/v1/usage", body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not UsageCharge.objects.exists()


def test_idempotency_key_of_255_characters_is_accepted(api, sub_account):
    response = api.post("/api/v1/usage", event(sub_account, "k" * 255), format="json")
    assert response.status_code == 201


def test_body_that_is_not_an_object_is_400(api):
    response = api.post("/api/v1/usage", [1, 2], format="json")
    assert response.status_code == 400


def test_unknown_sub_account_is_404_naming_the_field(api):
    response = api.post("/api/v1/usage", {
        "sub_account": "00000000-0000-0000-0000-000000000000", "item": "sms_outbound",
        "idempotency_key": "x", "quantity": "1"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "sub_account" in response.json()["error"]["fields"]


def test_suspended_messaging_answers_402_and_records_nothing(api, sub_account):
    sub_account.suspended_at = timezone.now()
    sub_account.suspension_reason = "payment_failed"
    sub_account.suspension_note = "Payment failed"
    sub_account.save()
    response = api.post("/api/v1/usage", event(sub_account), format="json")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "sub_account_suspended"
    assert not UsageCharge.objects.exists()
    call = api.post("/api/v1/usage", event(sub_account, "c", item="call_inbound",
                                           duration_seconds=10), format="json")
    assert call.status_code == 402


def test_absorbed_usage_is_billed_to_the_agency(api, sub_account):
    api.patch(f"/api/v1/subaccounts/{sub_account.pk}", {"rebilling_enabled": False},
              format="json")
    body = api.post("/api/v1/usage", event(sub_account), format="json").json()
    assert body["billed_to"] == "agency"
    assert body["wallet_balance"] == "0.000000"
    assert not Entry.objects.exists()


def test_batch_one_bad_event_does_not_sink_the_others(api, sub_account):
    events = [event(sub_account, f"k{n}") for n in range(999)]
    events.insert(500, event(sub_account, "bad", quantity="-5"))
    response = api.post("/api/v1/usage/batch", {"events": events}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 1000
    assert results[500]["status"] == 400
    assert results[500]["error"]["fields"].keys() == {"quantity"}
    assert all(r["status"] == 201 for i, r in enumerate(results) if i != 500)
    assert results[-1]["wallet_balance"] == "-15.784200"  # 999 × 2 × 0.0079
    assert UsageCharge.objects.count() == 999


def test_batch_reports_replays_conflicts_and_missing_sub_accounts(api, sub_account):
    api.post("/api/v1/usage", event(sub_account, "old"), format="json")
    stranger = SubAccountFactory()
    response = api.post("/api/v1/usage/batch", {"events": [
        event(sub_account, "old"), event(sub_account, "old2"),
        event(sub_account, "old2", quantity="9"), event(stranger, "s"), "nonsense"]},
        format="json")
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == [200, 201, 409, 404, 400]


@pytest.mark.parametrize("body", [{}, {"events": []}, {"events": "x"},
                                  {"events": [{}] * 1001}])
def test_batch_needs_1_to_1000_events(api, body):
    response = api.post("/api/v1/usage/batch", body, format="json")
    assert response.status_code == 400
    assert "events" in response.json()["error"]["fields"]


def test_quote_answers_what_it_would_charge_and_records_nothing(api, sub_account):
    response = api.post("/api/v1/quote", {"sub_account": str(sub_account.pk),
                                          "item": "call_outbound", "duration_seconds": 125},
                        format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["quantity"], body["amount"], body["billed_to"]) == ("3", "0.042000", "wallet")
    assert not UsageCharge.objects.exists()


def test_quote_refuses_bad_events_like_usage(api, sub_account):
    response = api.post("/api/v1/quote", {"sub_account": str(sub_account.pk),
                                          "item": "nope", "quantity": "1"}, format="json")
    assert response.status_code == 400
    assert "item" in response.json()["error"]["fields"]


def test_ledger_pages_newest_first_and_explains_each_charge(api, sub_account, monkeypatch):
    monkeypatch.setattr("wallets.usage.apis.LEDGER_PAGE", 3)
    for n in range(5):
        api.post("/api/v1/usage", event(sub_account, f"k{n}", message_body="€" * 81),
                 format="json")
    url = f"/api/v1/subaccounts/{sub_account.pk}/ledger"
    first = api.get(url).json()
    assert [e["seq"] for e in first["results"]] == [5, 4, 3]
    row = first["results"][0]
    assert (row["kind"], row["item"], row["quantity"], row["unit_price"]) == (
        "usage", "sms_outbound", "2", "0.007900")
    assert row["amount"] == "-0.015800" and row["balance_after"] == "-0.079000"
    assert row["charge"]["details"]["encoding"] == "GSM-7"
    assert row["charge"]["price_source"] == "base_cost"
    second = api.get(url, {"cursor": first["next_cursor"]}).json()
    assert [e["seq"] for e in second["results"]] == [2, 1]
    assert second["next_cursor"] is None


def test_ledger_refuses_a_made_up_cursor(api, sub_account):
    response = api.get(f"/api/v1/subaccounts/{sub_account.pk}/ledger", {"cursor": "zz!"})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_another_agencys_sub_account_is_404_on_every_endpoint(api):
    stranger = SubAccountFactory()
    body = event(stranger)
    for path, payload in [("/api/v1/usage", body), ("/api/v1/quote", body),
                          ("/api/v1/usage/batch", {"events": [body]})]:
        response = api.post(path, payload, format="json")
        answer = response.json()
        status = answer["results"][0]["status"] if "results" in answer else response.status_code
        assert status == 404, path
    assert api.get(f"/api/v1/subaccounts/{stranger.pk}/ledger").status_code == 404
    assert not UsageCharge.objects.exists()


def test_usage_needs_an_api_key(sub_account):
    response = APIClient().post("/api/v1/usage", event(sub_account), format="json")
    assert response.status_code == 401


def test_schema_describes_the_usage_endpoints():
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").content
    for path in (b"/api/v1/usage", b"/api/v1/usage/batch", b"/api/v1/quote",
                 b"/api/v1/subaccounts/{id}/ledger", b"/api/v1/subaccounts/{id}"):
        assert path in schema
