"""The credit limit on the pages: the agency's default (Settings > Payments), a client's own
limit, headroom and suspension on its wallet page, the dashboard's attention lists, and the
client admin's billing page."""

from decimal import Decimal

import pytest
from moneyed import Money

from hoopbilling.models import AuditLog
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
)
from wallets.usage.services import usage_record

# A saved limit is reviewed on commit; flushing the ledger afterwards needs PostgreSQL's TRUNCATE.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def stop_at_limit(client_account, quantity="300"):
    """Usage past a 1.00 limit: 300 segments at 0.0079 leave the balance at -2.37."""
    usage_record(agency=client_account.agency, event={
        "sub_account": str(client_account.pk), "item": "sms_outbound",
        "idempotency_key": f"k{quantity}", "quantity": quantity})


@pytest.fixture
def admin(client):
    membership = AgencyMembershipFactory(agency=AgencyFactory(credit_limit=Money("1", "USD")))
    client.force_login(membership.user)
    return membership


def test_the_agency_sets_its_default_credit_limit_on_settings(client, admin):
    page = client.get("/agency/settings/payments/").content.decode()
    assert "Credit limit" in page and "1.00 USD" in page
    response = client.post("/agency/settings/payments/",
                           {"action": "credit", "credit_limit": "-5"})
    assert response.status_code == 200 and "never negative" in response.content.decode()
    response = client.post("/agency/settings/payments/",
                           {"action": "credit", "credit_limit": "40.50"}, follow=True)
    assert "Default credit limit saved." in response.content.decode()
    admin.agency.refresh_from_db()
    assert admin.agency.credit_limit.amount == Decimal("40.50")
    assert AuditLog.objects.get(action="agency.update").actor == admin.user


def test_the_clients_wallet_page_shows_limit_headroom_and_why_it_is_stopped(client, admin):
    client_account = SubAccountFactory(agency=admin.agency)
    url = f"/agency/clients/{client_account.pk}/wallet/"
    page = client.get(url).content.decode()
    assert 'id="headroom"' in page and "1.00 USD" in page and "your default" in page
    stop_at_limit(client_account)
    page = client.get(url).content.decode()
    assert "Suspended · Credit limit reached" in page and "-1.37 USD" in page
    # its own, higher limit lifts it once saved
    response = client.post(url, {"action": "credit_limit", "credit_limit": "5"}, follow=True)
    page = response.content.decode()
    assert "Credit limit for" in page and "this client's own" in page
    assert "2.63 USD" in page and "Suspended ·" not in page
    client_account.refresh_from_db()
    assert client_account.credit_limit.amount == 5 and not client_account.suspended
    # emptied: back to the agency's default; the auto top-up form is left alone
    client.post(url, {"action": "credit_limit", "credit_limit": ""})
    client_account.refresh_from_db()
    assert client_account.credit_limit is None
    assert not client_account.wallet.auto_topup_enabled


def test_another_agencys_client_wallet_page_is_404_and_its_limit_unchanged(client, admin):
    other = SubAccountFactory(agency=AgencyFactory())
    url = f"/agency/clients/{other.pk}/wallet/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "credit_limit", "credit_limit": "999"}).status_code == 404
    other.refresh_from_db()
    assert other.credit_limit is None


def test_the_dashboard_lists_clients_stopped_at_and_close_to_their_limit(client, admin):
    stopped = SubAccountFactory(agency=admin.agency, name="Stopped Co")
    close = SubAccountFactory(agency=admin.agency, name="Close Co",
                              credit_limit=Money("10", "USD"))
    fine = SubAccountFactory(agency=admin.agency, name="Fine Co",
                             credit_limit=Money("10", "USD"))
    stop_at_limit(stopped)
    EntryFactory(wallet=close.wallet, kind="adjustment", amount=Decimal("-8.50"))
    EntryFactory(wallet=fine.wallet, kind="adjustment", amount=Decimal("-2"))
    page = client.get("/billing/").content.decode()
    at_limit = page.split('id="at-credit-limit"')[1].split("</ul>")[0]
    near = page.split('id="near-credit-limit"')[1].split("</ul>")[0]
    assert "Stopped Co" in at_limit and "Close Co" not in at_limit
    assert "Close Co" in near and "1.50" in near and "Fine Co" not in near
    assert "Credit limit reached" in page.split('id="suspended"')[1].split("</ul>")[0]


def test_the_dashboard_says_when_no_client_is_near_its_limit(client, admin):
    page = client.get("/billing/").content.decode()
    assert "No client is stopped at its credit limit." in page
    assert "No client has used 80% of its credit limit." in page


def test_the_client_admin_sees_its_limit_headroom_and_why_it_is_suspended(client):
    membership = ClientMembershipFactory(
        sub_account=SubAccountFactory(agency=AgencyFactory(credit_limit=Money("1", "USD"))),
        role="admin", can_manage_billing=True)
    client.force_login(membership.user)
    url = f"/client/{membership.sub_account.pk}/payments/"
    page = client.get(url).content.decode()
    assert "Credit limit: <strong>1.00 USD" in page and 'id="headroom">1.00 USD' in page
    stop_at_limit(membership.sub_account)
    page = client.get(url).content.decode()
    assert "Your account is suspended</strong> · Credit limit reached" in page
    assert "back within your credit limit" in page and "-1.37 USD" in page
