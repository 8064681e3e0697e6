"""The agency's actions on the client's wallet page: each confirmed before it acts, once per
form (its one-time token), errors on their field; the card link the client opens without a
login; and who may reach them (agency admins of the client's own agency only)."""

import re
import time
from decimal import Decimal

import pytest
from django.core import signing

from agencies.models import AgencyMembership
from tests.factories import (
    AgencyMembershipFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
)
from wallets.ledger.models import Entry
from wallets.payments.card_links import card_link_send
from wallets.payments.cards import payment_method_attach
from wallets.payments.models import TopUp, TopUpRefund
from wallets.payments.topups import topup_attempt, topup_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "ledger_checked")]


@pytest.fixture
def admin(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    client.agency = membership.agency
    return client


@pytest.fixture
def sub_account(admin):
    return SubAccountFactory(agency=admin.agency)


def wallet_page(sub_account) -> str:
    return f"/agency/clients/{sub_account.pk}/wallet/"


def paid_topup(sub_account, amount="50.00") -> TopUp:
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal(amount), enqueue=False)
    return topup_attempt(topup_id=topup.pk)


def token_of(html: str, action: str) -> str:
    """The one-time token of the form that posts to `action`."""
    form = re.search(rf'action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    return re.search(r'name="token" value="([0-9a-f-]+)"', form).group(1)


def confirm(client, path, data):
    """Post the form (the confirmation page), then confirm what it shows."""
    page = client.post(path, data)
    assert page.status_code == 200 and "Please confirm" in page.content.decode()
    return client.post(path, {**data, "confirmed": "1"}, follow=True)


def test_grant_a_credit_confirmed_once_even_when_sent_twice(admin, sub_account):
    page = admin.get(wallet_page(sub_account)).content.decode()
    assert "Actions" in page and "Grant a credit" in page
    path = f"/agency/clients/{sub_account.pk}/wallet/credit/"
    data = {"amount": "15.00", "reason": "sorry for the outage",
            "token": token_of(page, path)}
    # when: the confirmation asks first (nothing yet), then the confirm is sent twice
    assert admin.post(path, data).status_code == 200 and not Entry.objects.exists()
    done = confirm(admin, path, data)
    admin.post(path, {**data, "confirmed": "1"})
    # then
    assert "Credit of" in done.content.decode()
    [entry] = Entry.objects.all()
    assert entry.kind == "credit" and entry.memo == "sorry for the outage"


def test_a_credit_with_a_bad_amount_names_the_field(admin, sub_account):
    page = admin.post(f"/agency/clients/{sub_account.pk}/wallet/credit/",
                      {"amount": "-3", "reason": "x", "token": "0" * 32}).content.decode()
    assert "Please confirm" not in page and "errorlist" in page
    assert not Entry.objects.exists()


def test_refund_from_the_top_ups_table_prefills_what_is_left(admin, sub_account):
    topup = paid_topup(sub_account)
    page = admin.get(wallet_page(sub_account)).content.decode()
    path = f"/agency/clients/{sub_account.pk}/wallet/topups/{topup.pk}/refund/"
    assert path in page
    form = admin.get(path).content.decode()
    assert 'value="50.00"' in form
    token = re.search(r'name="token" value="([0-9a-f-]+)"', form).group(1)
    done = confirm(admin, path, {"amount": "20.00", "reason": "overcharged", "token": token})
    assert "refunded" in done.content.decode()
    assert TopUpRefund.objects.get().amount.amount == Decimal("20.00")
    assert 'value="30.00"' in admin.get(path).content.decode()
    # too much: the error names the amount, nothing refunded
    token = re.search(r'name="token" value="([0-9a-f-]+)"',
                      admin.get(path).content.decode()).group(1)
    refused = admin.post(path, {"amount": "40.00", "reason": "x", "token": token,
                                "confirmed": "1"})
    assert refused.status_code == 200 and "left to refund" in refused.content.decode()
    assert TopUpRefund.objects.count() == 1


def test_suspend_chosen_items_then_resume(admin, sub_account):
    page = admin.get(wallet_page(sub_account)).content.decode()
    path = f"/agency/clients/{sub_account.pk}/wallet/suspend/"
    confirm(admin, path, {"items": ["sms_outbound", "mms_outbound"], "reason": "dispute",
                          "token": token_of(page, path)})
    sub_account.refresh_from_db()
    assert sub_account.suspension_reason == "agency"
    assert sub_account.suspension_items == ["sms_outbound", "mms_outbound"]
    page = admin.get(wallet_page(sub_account)).content.decode()
    path = f"/agency/clients/{sub_account.pk}/wallet/resume/"
    done = confirm(admin, path, {"token": token_of(page, path)})
    assert "is resumed" in done.content.decode()
    sub_account.refresh_from_db()
    assert not sub_account.suspended


def test_retry_now_from_the_top_ups_table(admin, sub_account):
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_chargeCustomerFail")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal("25"), enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "retrying"
    page = admin.get(wallet_page(sub_account)).content.decode()
    path = f"/agency/clients/{sub_account.pk}/wallet/topups/{topup.pk}/retry/"
    done = confirm(admin, path, {"token": token_of(page, path)})
    assert "retried" in done.content.decode()
    assert topup.attempt_rows.count() == 2


def test_card_link_page_works_without_a_login_and_retries_the_unpaid_top_up(
        admin, client, sub_account, django_capture_on_commit_callbacks):
    page = admin.get(wallet_page(sub_account)).content.decode()
    path = f"/agency/clients/{sub_account.pk}/wallet/card-link/"
    done = confirm(admin, path, {"token": token_of(page, path)}).content.decode()
    link = re.search(r"(/card/[^ <]+/)", done).group(1)
    # a declining card, a top-up waiting for its retry
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_chargeCustomerFail")
    topup = topup_attempt(topup_id=topup_request(
        wallet_id=sub_account.wallet.pk, trigger="manual", amount=Decimal("25"),
        enqueue=False).pk)
    assert topup.status == "retrying"
    client.logout()
    form = client.get(link)
    assert form.status_code == 200 and "Test card" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(link, {"payment_method": "pm_card_visa"}, follow=True)
    assert "ending 4242" in saved.content.decode()
    sub_account.refresh_from_db()
    topup.refresh_from_db()
    assert sub_account.card_last4 == "4242" and topup.status == "succeeded"


def test_card_link_tampered_expired_or_for_another_client_finds_nothing(client, sub_account,
                                                                        monkeypatch):
    link = card_link_send(sub_account=sub_account).url
    path = link[link.index("/card/"):]
    other = SubAccountFactory()
    value, rest = path[len("/card/"):-1].split(":", 1)
    for bad in (path[:-3] + "xx/", f"/card/{other.pk}:{rest}/"):
        response = client.get(bad)
        assert response.status_code == 404 and "no longer works" in response.content.decode()
    assert client.get(path).status_code == 200
    later = time.time() + 7 * 24 * 3600 + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = client.get(path)
    assert expired.status_code == 404 and "7 days" in expired.content.decode()
    client.post(path, {"payment_method": "pm_card_visa"})
    sub_account.refresh_from_db()
    assert sub_account.card_last4 == ""


ACTION_PATHS = ["wallet/", "wallet/credit/", "wallet/suspend/", "wallet/resume/",
                "wallet/card-link/", "wallet/topups/{topup}/refund/",
                "wallet/topups/{topup}/retry/"]


def _paths(sub_account, topup):
    return [f"/agency/clients/{sub_account.pk}/" + p.format(topup=topup.pk)
            for p in ACTION_PATHS]


def test_another_agencys_client_and_top_ups_are_not_found(admin, sub_account):
    stranger = SubAccountFactory()
    their_topup = paid_topup(stranger)
    for path in _paths(stranger, their_topup) + _paths(sub_account, their_topup)[5:]:
        assert admin.get(path).status_code == 404, path
        assert admin.post(path, {"amount": "1", "reason": "x", "token": "0" * 32,
                                 "confirmed": "1"}).status_code == 404, path
    assert not Entry.objects.filter(kind__in=["credit", "refund"]).exists()


def test_client_admins_and_agency_staff_cannot_reach_the_actions(client, sub_account):
    topup = paid_topup(sub_account)
    staff = AgencyMembershipFactory(agency=sub_account.agency,
                                    role=AgencyMembership.Role.STAFF).user
    client_admin = ClientMembershipFactory(sub_account=sub_account).user
    for user in (client_admin, staff):
        client.force_login(user)
        for path in _paths(sub_account, topup):
            assert client.get(path).status_code == 404, path
            assert client.post(path, {"amount": "1", "reason": "x", "token": "0" * 32,
                                      "confirmed": "1"}).status_code == 404, path
    assert not Entry.objects.filter(kind__in=["credit", "refund"]).exists()


def test_credit_refused_by_the_service_shows_the_error_on_its_field(admin, sub_account):
    EntryFactory(wallet=sub_account.wallet, amount=Decimal("1"))
    page = admin.post(f"/agency/clients/{sub_account.pk}/wallet/credit/",
                      {"amount": "1000000001", "reason": "x", "token": "0" * 32})
    assert "errorlist" in page.content.decode()
