"""The margin simulator and the bulk "base cost × N" action it previews."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from moneyed import Money

from subaccounts.pricing.models import AgencyPrice, BillableItem
from subaccounts.pricing.services import price_set
from tests.factories import AgencyMembershipFactory, EntryFactory, SubAccountFactory
from wallets.ledger.models import Entry, Wallet
from wallets.usage.margin_simulator import margin_simulate
from wallets.usage.models import UsageCharge

pytestmark = pytest.mark.django_db


def charge(sub_account, code, quantity, unit_price, *, days_ago=1, billed_to="wallet"):
    """A usage charge as `usage_record` leaves it (flat price, base cost recorded)."""
    item = BillableItem.objects.get(code=code)
    base = {"sms_outbound": Decimal("0.0079"), "email_send": Decimal("0.675")}[code]
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    amount = quantity * unit_price / item.price_per
    entry = None
    if billed_to == "wallet":
        entry = EntryFactory(wallet=Wallet.objects.get(sub_account=sub_account),
                             kind=Entry.Kind.USAGE, amount=-amount)
    return UsageCharge.objects.create(
        agency=sub_account.agency, sub_account=sub_account, item=item,
        idempotency_key=str(uuid.uuid4()), fingerprint="x" * 64,
        occurred_at=timezone.now() - timedelta(days=days_ago), quantity=quantity,
        unit_price=Money(unit_price, "USD"), amount=Money(amount, "USD"),
        base_cost_unit=Money(base, "USD"), base_cost_amount=Money(quantity * base / item.price_per,
                                                                   "USD"),
        price_source="agency", billed_to=billed_to, entry=entry)


def test_reprices_the_last_30_days_per_item_and_client():
    acme = SubAccountFactory(name="Acme")
    zen = SubAccountFactory(agency=acme.agency, name="Zen")
    charge(acme, "sms_outbound", "1000", "0.0100")
    charge(zen, "sms_outbound", "500", "0.0100")
    charge(zen, "email_send", "2000", "1.00")
    charge(acme, "sms_outbound", "99999", "0.0100", days_ago=31)  # outside the window
    charge(SubAccountFactory(), "sms_outbound", "7777", "0.0100")  # another agency

    sim = margin_simulate(agency=acme.agency, proposed={"sms_outbound": Decimal("0.0200"),
                                                        "email_send": Decimal("1.35")})
    sms, email = sim.by_item
    assert (sms.label, sms.quantity) == ("Outbound SMS", Decimal("1500"))
    assert (sms.revenue_before, sms.revenue_after, sms.cost) == (
        Decimal("15.000000"), Decimal("30.000000"), Decimal("11.850000"))
    assert email.revenue_before == Decimal("2.00") and email.revenue_after == Decimal("2.70")
    assert [c.label for c in sim.by_client] == ["Acme", "Zen"]
    assert sim.by_client[0].margin_after == Decimal("20.000000") - Decimal("7.900000")
    assert sim.total.revenue_after == Decimal("32.700000")
    assert sim.total.margin_change == Decimal("15.700000")


def test_overridden_clients_and_absorbed_usage_keep_their_revenue():
    acme = SubAccountFactory(name="Acme")
    absorbed = SubAccountFactory(agency=acme.agency, name="Absorbed")
    price_set(sub_account=acme, item=BillableItem.objects.get(code="sms_outbound"),
                 price="0.0300")
    charge(acme, "sms_outbound", "100", "0.0300")
    charge(absorbed, "sms_outbound", "100", "0.0100", billed_to="agency")
    sim = margin_simulate(agency=acme.agency, proposed={"sms_outbound": Decimal("0.0500")})
    lines = {line.label: line for line in sim.by_client}
    assert lines["Acme"].revenue_after == lines["Acme"].revenue_before == Decimal("3.0")
    assert lines["Absorbed"].revenue_before == lines["Absorbed"].revenue_after == 0
    assert lines["Absorbed"].margin_after == Decimal("-0.79")


def test_no_usage_is_an_empty_simulation():
    sim = margin_simulate(agency=SubAccountFactory().agency, proposed={})
    assert not sim.has_usage and sim.total.revenue_after == 0


def test_bulk_preview_saves_nothing_and_confirm_saves_every_price(client):
    admin = AgencyMembershipFactory()
    client.force_login(admin.user)
    charge(SubAccountFactory(agency=admin.agency, name="Acme"), "sms_outbound", "1000",
           "0.0079")
    page = client.get("/agency/settings/rebilling/bulk/?multiplier=2").content.decode()
    assert "0.0158" in page and "Acme" in page and "15.80" in page
    assert not AgencyPrice.objects.exists()
    response = client.post("/agency/settings/rebilling/bulk/", {"multiplier": "2"})
    assert response.status_code == 302
    prices = {p.item_id: p.price.amount for p in AgencyPrice.objects.filter(agency=admin.agency)}
    assert len(prices) == 9 and prices["sms_outbound"] == Decimal("0.0158")
    assert prices["email_send"] == Decimal("1.35")


def test_bulk_below_one_needs_the_subsidy_box(client):
    admin = AgencyMembershipFactory()
    client.force_login(admin.user)
    page = client.get("/agency/settings/rebilling/bulk/?multiplier=0.5").content.decode()
    assert "below the base cost" in page
    assert client.post("/agency/settings/rebilling/bulk/", {"multiplier": "0.5"}
                       ).status_code == 200
    assert not AgencyPrice.objects.exists()
    client.post("/agency/settings/rebilling/bulk/", {"multiplier": "0.5", "subsidize": "on"})
    assert AgencyPrice.objects.filter(subsidize=True).count() == 9


def test_bulk_page_shows_only_the_callers_agency(client):
    admin = AgencyMembershipFactory()
    client.force_login(admin.user)
    charge(SubAccountFactory(name="Other agency client"), "sms_outbound", "10", "0.01")
    page = client.get("/agency/settings/rebilling/bulk/?multiplier=2").content.decode()
    assert "Other agency client" not in page and "No usage in the last 30 days" in page
