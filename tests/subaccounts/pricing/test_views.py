"""The price pages: Settings > Rebilling (`subaccounts.pricing.views`), a client's Billing
settings (`subaccounts.views`, whose prices are this package's forms, tables and services)
and the price histories."""

from decimal import Decimal

import pytest
from django.utils import timezone

from agencies.models import AgencyMembership
from hoopbilling.models import AuditLog
from subaccounts.pricing.book import price_resolve
from subaccounts.pricing.models import AgencyPrice, BillableItem, PriceOverride
from subaccounts.pricing.selectors import agency_price_grid
from subaccounts.pricing.services import price_set
from tests.factories import AgencyMembershipFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    return membership


def grid_form(agency, **changes):
    """The edit form as the page fills it (every row at its current price), plus `changes`."""
    data = {}
    for row in agency_price_grid(agency=agency):
        data[f"price_{row.item.code}"] = f"{row.price:f}"
        data[f"tiers_{row.item.code}"] = ""
    data.update(changes)
    return data


def test_grid_shows_base_cost_price_margin(client, admin):
    price_set(agency=admin.agency, item=BillableItem.objects.get(code="sms_outbound"),
              price="0.0150")
    html = client.get("/agency/settings/rebilling/").content.decode()
    assert "0.007900" in html and "0.015000" in html and "47.33 %" in html
    assert "Rebill my clients" in html


def test_editing_the_grid_saves_changed_rows_only(client, admin):
    data = grid_form(admin.agency)
    data["price_sms_outbound"] = "0.0200"
    data["tiers_email_send"] = "100000: 1.00\n*: 0.80"
    response = client.post("/agency/settings/rebilling/prices/", data)
    assert response.status_code == 302
    assert AgencyPrice.objects.filter(agency=admin.agency).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Saved 2 prices" in page and "0.012100" in page  # the new SMS margin


def test_a_bad_row_saves_nothing_and_names_the_row(client, admin):
    data = grid_form(admin.agency)
    data["price_sms_outbound"] = "0.0200"
    data["price_mms_outbound"] = "0.001"
    response = client.post("/agency/settings/rebilling/prices/", data)
    assert response.status_code == 200
    assert "below the base cost" in response.content.decode()
    assert not AgencyPrice.objects.exists()


def test_subsidised_rows_carry_a_visible_warning(client, admin):
    data = grid_form(admin.agency)
    data["price_sms_outbound"] = "0.005"
    data["subsidize_sms_outbound"] = "on"
    assert client.post("/agency/settings/rebilling/prices/", data).status_code == 302
    html = client.get("/agency/settings/rebilling/").content.decode()
    sms_row = html.split('data-item="sms_outbound"')[1].split("</tr>")[0]
    assert "subsidized" in sms_row and "Subsidised: below base cost" in sms_row


def test_rebilling_toggle_is_saved_and_hidden_when_the_plan_forbids(client, admin):
    response = client.post("/agency/settings/rebilling/", {}, follow=True)
    admin.agency.refresh_from_db()
    assert admin.agency.rebilling_enabled is False and "Rebilling is now off" in \
        response.content.decode()
    type(admin.agency).objects.filter(pk=admin.agency.pk).update(plan_rebilling_allowed=False)
    html = client.get("/agency/settings/rebilling/").content.decode()
    assert "does not include rebilling" in html and "Rebill my clients" not in html
    assert client.post("/agency/settings/rebilling/", {"rebilling_enabled": "on"}
                       ).status_code == 404


def test_staff_see_prices_but_cannot_edit(client):
    staff = AgencyMembershipFactory(role=AgencyMembership.Role.STAFF)
    client.force_login(staff.user)
    assert client.get("/agency/settings/rebilling/").status_code == 200
    assert client.get("/agency/settings/rebilling/prices/").status_code == 404
    sub_account = SubAccountFactory(agency=staff.agency)
    assert client.get(f"/agency/clients/{sub_account.pk}/billing/").status_code == 200
    assert client.post(f"/agency/clients/{sub_account.pk}/billing/",
                       {"action": "settings"}).status_code == 404


def client_form(sub_account, **changes):
    data = {}
    for item in BillableItem.objects.all():
        resolved = price_resolve(sub_account=sub_account, item=item, moment=timezone.now())
        data[f"mode_{item.code}"] = "override" if resolved.source == "override" else "inherit"
        data[f"price_{item.code}"] = f"{resolved.price:f}"
        data[f"tiers_{item.code}"] = ""
    data.update(changes)
    return data


def test_client_override_then_reset_with_confirmation_and_history(client, admin):
    sub_account = SubAccountFactory(agency=admin.agency, name="Acme Dental")
    url = f"/agency/clients/{sub_account.pk}/billing/"
    response = client.post(url, client_form(sub_account, mode_sms_outbound="override",
                                            price_sms_outbound="0.0300"), follow=True)
    html = response.content.decode()
    assert "Saved Acme Dental&#x27;s prices: Outbound SMS." in html
    assert "Reset to agency price" in html
    sms = BillableItem.objects.get(code="sms_outbound")
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=timezone.now()).price == Decimal("0.0300")
    reset_url = f"{url}reset/sms_outbound/"
    assert "Reset to agency price?" in client.get(reset_url).content.decode()
    assert PriceOverride.objects.filter(cleared=True).count() == 0  # GET only asks
    response = client.post(reset_url, follow=True)
    assert "pays the agency price for Outbound SMS again" in response.content.decode()
    history = client.get(f"{url}history/").content.decode()
    assert "reset to agency price" in history and "0.0300" in history
    assert "Outbound SMS</td>" in history  # the item by its name, not its code
    agency_history = client.get("/agency/settings/rebilling/history/").content.decode()
    assert "Acme Dental" in agency_history
    csv_text = client.get(f"{url}history/?export=csv").content.decode()
    assert csv_text.count("sms_outbound") == 2


def test_client_settings_toggles(client, admin):
    sub_account = SubAccountFactory(agency=admin.agency)
    client.post(f"/agency/clients/{sub_account.pk}/billing/",
                {"action": "settings", "rebilling_enabled": "on"})
    sub_account.refresh_from_db()
    assert sub_account.rebilling_enabled and not sub_account.itemised_usage_visible
    assert AuditLog.objects.filter(action="subaccount.update").count() == 1


def test_choosing_agency_price_in_the_form_ends_an_override(client, admin):
    sub_account = SubAccountFactory(agency=admin.agency)
    sms = BillableItem.objects.get(code="sms_outbound")
    price_set(sub_account=sub_account, item=sms, price="0.0300")
    client.post(f"/agency/clients/{sub_account.pk}/billing/",
                client_form(sub_account, mode_sms_outbound="inherit"))
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=timezone.now()).source == "base_cost"


def test_empty_states(client, admin):
    assert "No clients yet" in client.get("/agency/clients/").content.decode()
    assert "No price changes yet" in client.get(
        "/agency/settings/rebilling/history/").content.decode()


def test_another_agencys_pages_are_404(client, admin):
    other = SubAccountFactory(name="Other agency's client")
    price_set(sub_account=other, item=BillableItem.objects.get(code="sms_outbound"),
                 price="0.0300")
    base = f"/agency/clients/{other.pk}/billing/"
    for url in (base, f"{base}history/", f"{base}reset/sms_outbound/"):
        assert client.get(url).status_code == 404
    assert client.post(base, {"action": "settings"}).status_code == 404
    assert client.post(f"{base}reset/sms_outbound/").status_code == 404
    assert PriceOverride.objects.filter(cleared=True).count() == 0
    # and the agency's own history does not show another agency's changes
    assert "Other agency" not in client.get(
        "/agency/settings/rebilling/history/").content.decode()


def test_pages_need_an_agency_membership(client):
    sub_account = SubAccountFactory()
    client.force_login(UserFactory())
    for url in ("/agency/settings/rebilling/", "/agency/settings/rebilling/prices/",
                "/agency/settings/rebilling/history/", "/agency/settings/rebilling/bulk/",
                "/agency/clients/", f"/agency/clients/{sub_account.pk}/billing/"):
        assert client.get(url).status_code == 404, url
