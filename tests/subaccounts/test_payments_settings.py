"""Settings > Payments: the agency's Stripe connection and what a suspension blocks."""

import pytest

from agencies.models import AgencyMembership
from hoopbilling.models import AuditLog
from subaccounts.pricing.models import BillableItem
from subaccounts.services import subaccount_suspend
from subaccounts.suspension import item_blocked
from tests.factories import AgencyMembershipFactory, SubAccountFactory

pytestmark = pytest.mark.django_db

URL = "/agency/settings/payments/"
KEY = "rk_live_51AbCdEfGhIjKlMnOpQrStUvWxYz"


@pytest.fixture
def admin(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    return membership


def test_admin_connects_a_restricted_key_that_is_never_shown_back(client, admin):
    response = client.post(URL, {"action": "stripe", "stripe_restricted_key": KEY},
                           follow=True)
    page = response.content.decode()
    assert "Stripe connection saved." in page
    assert "rk_live_…WxYz" in page and KEY not in page
    admin.agency.refresh_from_db()
    assert admin.agency.stripe_restricted_key == KEY
    audit = AuditLog.objects.get(action="agency.stripe_connect")
    assert audit.after == {"stripe_account_id": "", "stripe_restricted_key": "rk_live_…WxYz"}
    assert KEY not in str(audit.before) + str(audit.after)
    # saving the account form again with the key field empty keeps the key
    client.post(URL, {"action": "stripe", "stripe_restricted_key": ""})
    admin.agency.refresh_from_db()
    assert admin.agency.stripe_restricted_key == KEY
    assert AuditLog.objects.filter(action="agency.stripe_connect").count() == 1


def test_admin_switches_to_connect_and_bad_input_names_the_field(client, admin):
    response = client.post(URL, {"action": "stripe", "stripe_account_id": "acct_x!"})
    assert "A Connect account id looks like" in response.content.decode()
    response = client.post(URL, {"action": "stripe", "stripe_account_id": "acct_1A2b3C4d5E",
                                 "stripe_restricted_key": KEY})
    assert "not both" in response.content.decode()
    admin.agency.refresh_from_db()
    assert (admin.agency.stripe_account_id, admin.agency.stripe_restricted_key) == ("", "")
    assert not AuditLog.objects.filter(action="agency.stripe_connect").exists()
    response = client.post(URL, {"action": "stripe", "stripe_account_id": "acct_1A2b3C4d5E"},
                           follow=True)
    assert "Connected through Stripe Connect as" in response.content.decode()


def test_remove_key_goes_back_to_the_platform_account(client, admin):
    client.post(URL, {"action": "stripe", "stripe_restricted_key": KEY})
    response = client.post(URL, {"action": "stripe", "remove_key": "on"}, follow=True)
    assert "charged through the platform" in response.content.decode()
    admin.agency.refresh_from_db()
    assert admin.agency.stripe_restricted_key == ""


def test_page_lists_the_nine_items_and_saves_the_blocked_ones(client, admin):
    page = client.get(URL).content.decode()
    codes = list(BillableItem.objects.values_list("code", flat=True))
    assert len(codes) == 9 and all(f'value="{code}"' in page for code in codes)
    outbound = BillableItem.objects.filter(category="messaging").first()
    response = client.post(URL, {"action": "suspension", "items": [outbound.code]},
                           follow=True)
    assert "Suspension settings saved." in response.content.decode()
    sub_account = SubAccountFactory(agency=admin.agency)
    subaccount_suspend(sub_account=sub_account, reason="agency", note="test",
                       actor_label="test")
    sub_account.refresh_from_db()
    calling = BillableItem.objects.filter(category="calling").first()
    assert item_blocked(sub_account=sub_account, item=outbound)
    assert not item_blocked(sub_account=sub_account, item=calling)
    assert AuditLog.objects.get(action="agency.suspension_items_set").after == {
        "suspension_blocked_items": [outbound.code]}
    # nothing ticked: back to the default (messaging and calling)
    client.post(URL, {"action": "suspension"})
    admin.agency.refresh_from_db()
    assert admin.agency.suspension_blocked_items == []
    sub_account.refresh_from_db()
    assert item_blocked(sub_account=sub_account, item=calling)


def test_unknown_item_is_refused(client, admin):
    response = client.post(URL, {"action": "suspension", "items": ["teleport"]})
    assert response.status_code == 200 and "not one of the available choices" in (
        response.content.decode())
    admin.agency.refresh_from_db()
    assert admin.agency.suspension_blocked_items == []


def test_staff_get_404_and_each_admin_only_changes_its_own_agency(client, admin):
    staff = AgencyMembershipFactory(role=AgencyMembership.Role.STAFF)
    other_admin = AgencyMembershipFactory()
    client.force_login(staff.user)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"action": "stripe", "stripe_restricted_key": KEY}
                       ).status_code == 404
    client.force_login(other_admin.user)
    client.post(URL, {"action": "stripe", "stripe_restricted_key": KEY})
    admin.agency.refresh_from_db()
    staff.agency.refresh_from_db()
    assert admin.agency.stripe_restricted_key == "" == staff.agency.stripe_restricted_key
    client.logout()
    assert client.get(URL).status_code == 302
