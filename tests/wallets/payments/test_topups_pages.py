"""Payment pages: the client's billing page and card, the agency's settings and alerts."""

import re
from decimal import Decimal

import pytest

from hoopbilling.celery import app as celery_app
from tests.factories import (
    AgencyMembershipFactory,
    ClientMembershipFactory,
    SubAccountFactory,
    wallet_with_card,
)
from wallets.payments.models import Notification, SandboxCharge, TopUp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def add_funds_token(client, sub_account) -> str:
    """The token of the Add funds form as the billing page renders it."""
    page = client.get(f"/client/{sub_account.pk}/payments/").content.decode()
    return re.search(r'name="token" value="([0-9a-f-]+)"', page).group(1)


def test_client_admin_adds_card_and_funds(client, django_capture_on_commit_callbacks):
    membership = ClientMembershipFactory()
    sub_account = membership.sub_account
    client.force_login(membership.user)
    response = client.post(f"/client/{sub_account.pk}/payments/card/",
                           {"payment_method": "pm_card_chargeDeclined"})
    assert "previous card is kept" in response.content.decode()
    response = client.post(f"/client/{sub_account.pk}/payments/card/",
                           {"payment_method": "pm_card_visa"}, follow=True)
    assert "ending 4242" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/client/{sub_account.pk}/payments/",
                    {"amount": "20", "token": add_funds_token(client, sub_account)})
    page = client.get(f"/client/{sub_account.pk}/payments/").content.decode()
    assert "20.00" in page and "Succeeded" in page
    csv = client.get(f"/client/{sub_account.pk}/payments/?format=csv").content.decode()
    assert "20.000000,USD,manual,succeeded,1" in csv


def test_suspended_client_sees_banner_with_pay_now(client):
    membership = ClientMembershipFactory(sub_account=SubAccountFactory(
        suspension_reason="payment_failed",
        suspension_note="Card payments failed after every retry.",
        suspended_at="2026-01-01T00:00:00Z"))
    client.force_login(membership.user)
    page = client.get(f"/client/{membership.sub_account.pk}/payments/").content.decode()
    assert "Your account is suspended" in page and "Pay now" in page


def test_client_without_billing_permission_cannot_add_funds_or_cards(client):
    membership = ClientMembershipFactory(role="user", can_manage_billing=False)
    client.force_login(membership.user)
    assert client.get(f"/client/{membership.sub_account.pk}/payments/card/").status_code == 404
    assert client.post(f"/client/{membership.sub_account.pk}/payments/",
                       {"amount": "5"}).status_code == 404


def test_another_clients_pages_are_404(client, django_capture_on_commit_callbacks):
    membership = ClientMembershipFactory()
    with django_capture_on_commit_callbacks(execute=True):
        other = wallet_with_card(balance="5", auto={"threshold": Decimal("10"),
                                                    "amount": Decimal("20")})
    topup = TopUp.objects.get(wallet=other)
    client.force_login(membership.user)
    for url in (f"/client/{other.sub_account_id}/payments/",
                f"/client/{other.sub_account_id}/payments/card/",
                f"/client/{other.sub_account_id}/payments/topups/{topup.pk}/authenticate/",
                f"/client/{membership.sub_account_id}/payments/topups/{topup.pk}/authenticate/"):
        assert client.get(url).status_code == 404, url


def test_agency_admin_sets_thresholds_and_sees_only_its_alerts(client):
    admin = AgencyMembershipFactory()
    mine = SubAccountFactory(agency=admin.agency)
    other = SubAccountFactory()
    Notification.objects.create(agency=admin.agency, sub_account=mine, kind="payment_failed",
                                message="mine failed", dedupe_key="a")
    Notification.objects.create(agency=other.agency, sub_account=other, kind="payment_failed",
                                message="theirs failed", dedupe_key="b")
    client.force_login(admin.user)
    response = client.post(f"/agency/clients/{mine.pk}/wallet/", {
        "enabled": "on", "threshold": "10", "amount": "25", "max_balance": "5"})
    assert "cannot be below the threshold" in response.content.decode()
    client.post(f"/agency/clients/{mine.pk}/wallet/", {
        "enabled": "on", "threshold": "10", "amount": "25", "max_balance": "100"})
    mine.wallet.refresh_from_db()
    assert mine.wallet.auto_topup_enabled and mine.wallet.auto_topup_amount.amount == 25
    assert client.get(f"/agency/clients/{other.pk}/wallet/").status_code == 404
    assert client.get(f"/agency/clients/{other.pk}/wallet/?format=csv").status_code == 404
    export = client.get(f"/agency/clients/{mine.pk}/wallet/?format=csv")
    assert export["Content-Type"] == "text/csv"
    assert export.content.decode().splitlines()[0].startswith("created_at,amount,currency")
    page = client.get("/agency/notifications/").content.decode()
    assert "mine failed" in page and "theirs failed" not in page


def test_sandbox_authentication_page_completes_the_payment(
        client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        wallet = wallet_with_card(payment_method="pm_card_authenticationRequired",
                                  balance="5",
                                  auto={"threshold": Decimal("10"), "amount": Decimal("20")})
    topup = TopUp.objects.get(wallet=wallet)
    assert topup.status == "requires_action"
    membership = ClientMembershipFactory(sub_account=wallet.sub_account)
    client.force_login(membership.user)
    url = f"/client/{wallet.sub_account_id}/payments/topups/{topup.pk}/authenticate/"
    assert "Confirm payment" in client.get(url).content.decode()
    client.post(url)
    topup.refresh_from_db()
    assert topup.status == "succeeded"


@pytest.mark.parametrize("amount", ["1e3", "１０", "1_0"])
def test_add_funds_takes_an_amount_as_people_write_it(client, amount):
    membership = ClientMembershipFactory()
    sub_account = membership.sub_account
    client.force_login(membership.user)
    response = client.post(f"/client/{sub_account.pk}/payments/", {"amount": amount})
    assert response.status_code == 200
    assert "Enter a number such as 12.50." in response.content.decode()
    assert not TopUp.objects.exists()


def test_add_funds_sent_twice_makes_one_topup_and_one_charge(
        client, django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="5")
    sub_account = wallet.sub_account
    client.force_login(ClientMembershipFactory(sub_account=sub_account).user)
    form = {"amount": "20", "token": add_funds_token(client, sub_account)}
    url = f"/client/{sub_account.pk}/payments/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, form)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, form, follow=True)  # a double click, or a resent POST
    assert first.status_code == 302 and second.redirect_chain == [(url, 302)]
    assert "Payment received: your balance is updated." in second.content.decode()
    [topup] = TopUp.objects.filter(wallet=wallet)
    assert topup.status == "succeeded"
    assert SandboxCharge.objects.filter(customer=sub_account.payment_customer_id).count() == 1
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("25")


def test_each_rendering_of_add_funds_carries_a_new_token(client):
    membership = ClientMembershipFactory()
    client.force_login(membership.user)
    sub_account = membership.sub_account
    first, second = add_funds_token(client, sub_account), add_funds_token(client, sub_account)
    assert first != second
    # shown again after an error (no card yet), the form has a new token too
    page = client.post(f"/client/{sub_account.pk}/payments/",
                       {"amount": "20", "token": first}).content.decode()
    assert "Add a card before adding funds." in page
    assert re.search(r'name="token" value="([0-9a-f-]+)"', page).group(1) not in (first,
                                                                                    second)


def test_add_funds_without_its_token_charges_nothing(client):
    wallet = wallet_with_card(balance="5")
    client.force_login(ClientMembershipFactory(sub_account=wallet.sub_account).user)
    page = client.post(f"/client/{wallet.sub_account_id}/payments/", {"amount": "20"})
    assert page.status_code == 200
    assert "This form was out of date: check it and send it again." in page.content.decode()
    assert not TopUp.objects.exists()
