"""Payment endpoints (docs/api.md#payments) against the sandbox gateway."""


import pytest

from hoopbilling.celery import app as celery_app
from tests.factories import SubAccountFactory
from wallets.ledger.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def sub_account(key):
    return SubAccountFactory(agency=key.agency)


def test_wallet_defaults_and_patch(api, sub_account):
    url = f"/api/v1/subaccounts/{sub_account.pk}/wallet"
    body = api.get(url).json()
    assert body["balance"] == "0.000000" and body["currency"] == "USD"
    assert body["auto_topup"]["enabled"] is False
    assert body["outstanding"] == "0.000000"
    response = api.patch(url, {"auto_topup": {"enabled": True, "threshold": "10",
                                              "amount": "50", "max_balance": "200"}},
                         format="json")
    assert response.status_code == 200
    auto = response.json()["auto_topup"]
    assert auto == {"enabled": True, "threshold": "10.000000", "amount": "50.000000",
                    "max_balance": "200.000000"}


def test_wallet_patch_refuses_cap_below_threshold_naming_the_field(api, sub_account):
    response = api.patch(f"/api/v1/subaccounts/{sub_account.pk}/wallet",
                         {"auto_topup": {"threshold": "100", "max_balance": "50"}},
                         format="json")
    assert response.status_code == 400
    assert "max_balance" in response.json()["error"]["fields"]
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.auto_topup_threshold.amount == 0


def test_payment_method_put_and_declined_keeps_previous_card(api, sub_account):
    url = f"/api/v1/subaccounts/{sub_account.pk}/payment-method"
    response = api.put(url, {"payment_method": "pm_card_visa"}, format="json")
    assert response.status_code == 200
    assert response.json()["brand"] == "visa" and response.json()["last4"] == "4242"
    for pm in ("pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"):
        response = api.put(url, {"payment_method": pm}, format="json")
        assert response.status_code == 402
        assert response.json()["error"]["code"] == "card_declined"
    sub_account.refresh_from_db()
    assert sub_account.payment_method_id == "pm_card_visa"


def test_manual_topup_is_charged_and_listed_newest_first(api, sub_account,
                                                          django_capture_on_commit_callbacks):
    api.put(f"/api/v1/subaccounts/{sub_account.pk}/payment-method",
            {"payment_method": "pm_card_mastercard"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/subaccounts/{sub_account.pk}/wallet/topups",
                            {"amount": "25.00"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/subaccounts/{sub_account.pk}/wallet/topups", {"amount": "5"},
                 format="json")
    listed = api.get(f"/api/v1/subaccounts/{sub_account.pk}/topups").json()
    assert [(t["amount"], t["status"], t["attempts"]) for t in listed] == [
        ("5.000000", "succeeded", 1), ("25.000000", "succeeded", 1)]
    assert api.get(f"/api/v1/subaccounts/{sub_account.pk}/wallet").json()["balance"] == \
        "30.000000"
    assert Entry.objects.filter(kind="topup").count() == 2


def test_manual_topup_bad_amount_is_400_naming_amount(api, sub_account):
    response = api.post(f"/api/v1/subaccounts/{sub_account.pk}/wallet/topups",
                        {"amount": "-3"}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()["error"]["fields"]


def test_manual_topup_without_card_is_refused(api, sub_account):
    response = api.post(f"/api/v1/subaccounts/{sub_account.pk}/wallet/topups",
                        {"amount": "10"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_payment_method"


@pytest.mark.parametrize("method,path,body", [
    ("get", "wallet", None),
    ("patch", "wallet", {"auto_topup": {"enabled": False}}),
    ("put", "payment-method", {"payment_method": "pm_card_visa"}),
    ("post", "wallet/topups", {"amount": "10"}),
    ("get", "topups", None),
])
def test_another_agencys_subaccount_is_404(api, method, path, body):
    other = SubAccountFactory()
    response = getattr(api, method)(f"/api/v1/subaccounts/{other.pk}/{path}", body,
                                    format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    other.refresh_from_db()
    assert other.payment_method_id == ""
