"""Every number and date the API takes is bounded at the edge (docs/api.md#limits): out of
range is a 400 `invalid` naming the field, never a database error, and one event that cannot
be recorded never sinks the others of its batch."""

import base64
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from agencies.periods import period_bounds
from hoopbilling.money import AMOUNT_MAX, PRICE_MAX, QUANTITY_MAX
from tests.factories import EntryFactory, SubAccountFactory
from wallets.ledger.models import Entry, Wallet
from wallets.usage.models import UsageCharge, UsageCounter, UsageDaily

pytestmark = pytest.mark.django_db


def event(sub_account, key, **fields):
    body = {"sub_account": str(sub_account.pk), "item": "content_ai", "idempotency_key": key,
            "quantity": "2"}
    body.update(fields)
    return body


def refused(response, field):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    return error


def test_a_huge_quantity_is_refused_and_later_events_of_the_client_still_record(
        api, sub_account):
    for key in ("huge-1", "huge-2"):
        error = refused(api.post("/api/v1/usage", event(sub_account, key,
                                                        quantity="999999999999"),
                                 format="json"), "quantity")
        assert f"{QUANTITY_MAX:,}" in error["message"]
    later = api.post("/api/v1/usage", event(sub_account, "later", quantity=None,
                                               text="three short words"),
                     format="json")
    assert later.status_code == 201, later.content
    assert UsageCounter.objects.get(sub_account=sub_account, item="content_ai").quantity == 3


def test_a_batch_holding_a_huge_quantity_records_the_other_clients_events(api, sub_account):
    other = SubAccountFactory(agency=api.agency)
    response = api.post("/api/v1/usage/batch", {"events": [
        event(other, "good-1"), event(sub_account, "huge", quantity="999999999999"),
        event(other, "good-2", item="sms_outbound", quantity=None,
              message_body="hello")]}, format="json")
    assert response.status_code == 200, response.content
    statuses = [result["status"] for result in response.json()["results"]]
    assert statuses == [201, 400, 201]
    assert "quantity" in response.json()["results"][1]["error"]["fields"]
    assert set(UsageCharge.objects.values_list("idempotency_key", flat=True)) == {
        "good-1", "good-2"}


def test_the_largest_quantity_twice_fits_the_period_counter_and_the_roll_up(api, sub_account):
    largest = f"{QUANTITY_MAX:f}"
    for key in ("max-1", "max-2"):
        response = api.post("/api/v1/usage", event(sub_account, key, quantity=largest),
                            format="json")
        assert response.status_code == 201, response.content
    assert UsageCounter.objects.get(sub_account=sub_account).quantity == 2 * QUANTITY_MAX
    assert UsageDaily.objects.get(sub_account=sub_account).quantity == 2 * QUANTITY_MAX


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"])
def test_a_batch_event_with_text_no_column_holds_is_its_error_alone(api, sub_account, text):
    response = api.post("/api/v1/usage/batch", json.dumps({"events": [  # "\\ud800" escaped
        event(sub_account, "good-1"), event(sub_account, "bad", quantity=None, text=text),
        event(sub_account, "good-2")]}), content_type="application/json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 400, 201]
    assert "text" in results[1]["error"]["fields"]
    refused(api.post("/api/v1/usage/batch", {"events": [event(sub_account, "good-3")],
                                             "\x00": 1}, format="json"), "body")


@pytest.mark.postgres
def test_an_event_the_database_cannot_hold_is_that_events_error_alone(api, sub_account):
    # given a wallet already at the floor of what its balance column holds (as no bounded
    # input can bring it: written straight into the ledger)
    floor = -(Decimal(10) ** 12 - 1)
    EntryFactory(wallet=sub_account.wallet, kind="adjustment", amount=floor)
    other = SubAccountFactory(agency=api.agency)
    # when a batch debits it once more, among another client's events
    response = api.post("/api/v1/usage/batch", {"events": [
        event(other, "good-1"), event(sub_account, "overflow", quantity="1000000"),
        event(other, "good-2")]}, format="json")
    # then that event alone is refused, naming it, and the others are recorded
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 400, 201]
    assert results[1]["error"]["code"] == "invalid"
    assert "quantity" in results[1]["error"]["fields"]
    assert not UsageCharge.objects.filter(sub_account=sub_account).exists()
    assert Wallet.objects.get(pk=sub_account.wallet.pk).balance.amount == floor
    assert UsageCharge.objects.filter(sub_account=other).count() == 2
    single = api.post("/api/v1/usage", event(sub_account, "overflow-again", quantity="1000000"),
                      format="json")
    refused(single, "quantity")


@pytest.mark.postgres
def test_a_database_error_for_one_event_is_that_events_error_alone(api, sub_account):
    # given a period counter at the top of its column (as no bounded input can bring it)
    start = period_bounds(anchor_day=api.agency.billing_anchor_day, moment=timezone.now())[0]
    UsageCounter.objects.create(sub_account=sub_account, item_id="content_ai",
                                period_start=start, quantity=Decimal(10) ** 24 - 1)
    other = SubAccountFactory(agency=api.agency)
    # when a batch adds to it, among another client's events
    response = api.post("/api/v1/usage/batch", {"events": [
        event(other, "good-1"), event(sub_account, "overflow"), event(other, "good-2")]},
        format="json")
    # then the database's refusal is that event's 400 alone; the others are recorded
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 400, 201]
    assert "quantity" in results[1]["error"]["fields"]
    assert not UsageCharge.objects.filter(sub_account=sub_account).exists()
    assert UsageCharge.objects.filter(sub_account=other).count() == 2


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z",
                                    "1999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00"])
def test_occurred_at_outside_the_window_is_refused(api, sub_account, moment):
    quote = {"sub_account": str(sub_account.pk), "item": "sms_outbound", "quantity": "1",
             "occurred_at": moment}
    refused(api.post("/api/v1/quote", quote, format="json"), "occurred_at")
    refused(api.post("/api/v1/usage", event(sub_account, "early", occurred_at=moment),
                     format="json"), "occurred_at")
    assert not UsageCharge.objects.exists()


def _cursor(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "²", _cursor("seq:²"), _cursor("seq:٣"), _cursor("seq:-1"), _cursor("seq:" + "9" * 30),
    _cursor("seq:" + "1" * 5000), "%C2%B2"])
def test_a_ledger_cursor_that_is_not_ours_is_refused(api, sub_account, cursor):
    refused(api.get(f"/api/v1/subaccounts/{sub_account.pk}/ledger", {"cursor": cursor}),
            "cursor")


@pytest.mark.parametrize(("field", "value"), [
    ("duration_seconds", 10 ** 30), ("duration_seconds", -1),
    ("message_body", "x" * 20_001), ("text", "word " * 5_000)])
def test_measures_are_bounded(api, sub_account, field, value):
    item = {"duration_seconds": "call_outbound", "message_body": "sms_outbound",
            "text": "content_ai"}[field]
    body = {"sub_account": str(sub_account.pk), "item": item, "idempotency_key": "m",
            field: value}
    refused(api.post("/api/v1/usage", body, format="json"), field)


def test_an_over_large_top_up_says_too_large_naming_the_maximum(api, sub_account):
    error = refused(api.post(f"/api/v1/subaccounts/{sub_account.pk}/wallet/topups",
                             {"amount": "1000000000000000000"}, format="json"), "amount")
    assert "decimal places" not in error["message"]
    assert f"{AMOUNT_MAX:,}" in error["message"]


@pytest.mark.parametrize("field", ["threshold", "amount", "max_balance"])
def test_over_large_wallet_settings_say_too_large(api, sub_account, field):
    error = refused(api.patch(f"/api/v1/subaccounts/{sub_account.pk}/wallet",
                              {"auto_topup": {field: "99999999999999"}}, format="json"),
                    f"auto_topup.{field}")
    assert "decimal places" not in error["message"]
    assert f"{AMOUNT_MAX:,}" in error["message"]


@pytest.mark.parametrize("price", ["999999999999.5", "1000000000000", "123456789012345678"])
def test_an_over_large_price_says_too_large(api, price):
    error = refused(api.put("/api/v1/prices/sms_outbound", {"price": price}, format="json"),
                    "price")
    assert "decimal places" not in error["message"]
    assert f"{PRICE_MAX:,}" in error["message"]


@pytest.mark.parametrize("amount", ["0.001", "0.009", "0.5"])
def test_the_api_keeps_the_forms_auto_top_up_minimum(api, sub_account, amount):
    before = Wallet.objects.filter(pk=sub_account.wallet.pk).values().get()
    response = api.patch(f"/api/v1/subaccounts/{sub_account.pk}/wallet",
                         {"auto_topup": {"enabled": True, "amount": amount}}, format="json")
    assert response.status_code == 400, response.content
    # the serializer names it auto_topup.amount (not whole cents), the service amount
    assert {"auto_topup.amount", "amount"} & set(response.json()["error"]["fields"])
    assert Wallet.objects.filter(pk=sub_account.wallet.pk).values().get() == before


def test_the_forms_auto_top_up_minimum_is_accepted_by_the_api(api, sub_account):
    response = api.patch(f"/api/v1/subaccounts/{sub_account.pk}/wallet",
                         {"auto_topup": {"enabled": True, "amount": "1.00"}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["auto_topup"]["amount"] == "1.000000"


def test_no_numeric_column_overflows_in_the_ledger_within_bounds(api, sub_account):
    """A client using the most per event at the highest price still fits each column."""
    put = api.put("/api/v1/prices/content_ai", {"price": f"{PRICE_MAX:f}"}, format="json")
    assert put.status_code == 200, put.content
    response = api.post("/api/v1/usage", event(sub_account, "dear",
                                               quantity=f"{QUANTITY_MAX:f}"), format="json")
    assert response.status_code == 201, response.content
    assert Entry.objects.get(wallet=sub_account.wallet).amount.amount < 0
    if connection.vendor == "postgresql":
        assert UsageDaily.objects.get(sub_account=sub_account).amount > 0


@pytest.mark.parametrize("query", [{"page": "²"}, {"page": "9" * 30}, {"page": "9" * 5000},
                                   {"page": "-1"}, {"page_size": "9" * 5000},
                                   {"page_size": "1e99"}, {"page_size": "-5"}])
def test_page_numbers_out_of_range_are_never_a_server_error(api, sub_account, query):
    response = api.get("/api/v1/subaccounts", query)
    assert response.status_code in (200, 400, 404), response.content
