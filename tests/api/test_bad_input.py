"""Bad input anywhere in the API: a 400 (or the API's own 404) naming the field, in the API's
error format, and nothing written."""

import pytest

from wallets.ledger.models import Wallet
from wallets.payments.models import TopUp
from wallets.usage.models import UsageCharge

pytestmark = pytest.mark.django_db


def event(sub_account, key="k1", **fields):
    body = {"sub_account": str(sub_account.pk), "item": "sms_outbound", "idempotency_key": key,
            "quantity": "2"}
    body.update(fields)
    return body


def refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert field in body["fields"], body
    return body


@pytest.mark.parametrize("moment", ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
                                    "2026-03-01T25:00:00Z", "2026-03-01T00:00:00+25:00"])
def test_a_moment_that_does_not_exist_is_refused_and_sinks_no_other_event(
        api, sub_account, moment):
    refused(api.post("/api/v1/usage", event(sub_account, occurred_at=moment), format="json"),
            "occurred_at")
    refused(api.post("/api/v1/quote", {"sub_account": str(sub_account.pk),
                                       "item": "sms_outbound", "quantity": "1",
                                       "occurred_at": moment}, format="json"), "occurred_at")
    batch = api.post("/api/v1/usage/batch", {"events": [
        event(sub_account, "good"), event(sub_account, "bad", occurred_at=moment)]},
        format="json")
    assert batch.status_code == 200
    good, bad = batch.json()["results"]
    assert good["status"] == 201 and bad["status"] == 400
    assert "occurred_at" in bad["error"]["fields"]
    assert UsageCharge.objects.count() == 1


@pytest.mark.parametrize("quantity", ["1e3", "１２", "1_000", "+5", ".5", "5.", "-0", "NaN"])
def test_a_quantity_is_a_plain_decimal(api, sub_account, quantity):
    refused(api.post("/api/v1/usage", event(sub_account, quantity=quantity), format="json"),
            "quantity")
    assert not UsageCharge.objects.exists()


@pytest.mark.parametrize("amount", [10.5, True, "1e1", "１０", [10]])
def test_a_top_up_amount_is_a_decimal_string(api, sub_account, amount):
    refused(api.post(f"/api/v1/subaccounts/{sub_account.pk}/wallet/topups",
                     {"amount": amount}, format="json"), "amount")
    assert not TopUp.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"threshold": 12.5}, "auto_topup.threshold"),
    ({"amount": "2e1"}, "auto_topup.amount"),
    ({"enabled": "yes"}, "auto_topup.enabled"),
    ({"enabled": 1}, "auto_topup.enabled"),
    ({"enabled": "false"}, "auto_topup.enabled"),
])
def test_wallet_settings_take_decimal_strings_and_true_or_false(api, sub_account, change,
                                                                 field):
    before = Wallet.objects.filter(pk=sub_account.wallet.pk).values().get()
    refused(api.patch(f"/api/v1/subaccounts/{sub_account.pk}/wallet",
                      {"auto_topup": change}, format="json"), field)
    assert Wallet.objects.filter(pk=sub_account.wallet.pk).values().get() == before


def test_a_batch_names_a_field_it_does_not_know(api, sub_account):
    refused(api.post("/api/v1/usage/batch", {"events": [event(sub_account)], "extra": 1},
                     format="json"), "extra")
    assert not UsageCharge.objects.exists()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/subaccounts/not-a-uuid",
                                  "/api/v1/subaccounts/not-a-uuid/wallet",
                                  "/api/v1/invoices/not-a-uuid", "/api/v1/nope"])
def test_a_path_that_names_nothing_is_the_apis_own_404(api, path, settings, debug):
    settings.DEBUG = debug  # make run's default: Django's handler404 does not run then
    response = api.get(path)
    assert response.status_code == 404
    assert api.post(path, {}, format="json").status_code == 404  # not a CSRF refusal
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_usage_from_before_the_items_first_base_cost_names_the_moment(api, sub_account):
    body = refused(api.post("/api/v1/usage", event(
        sub_account, occurred_at="1990-01-01T00:00:00Z"), format="json"), "occurred_at")
    assert "before" in body["fields"]["occurred_at"][0]
    assert not UsageCharge.objects.exists()
