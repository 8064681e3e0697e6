"""The price rules, `price_set`, effective dating and resolution order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from hoopbilling.errors import InvalidInput
from hoopbilling.models import AuditLog
from subaccounts.pricing.book import PriceSource, Tier, price_resolve, prices_resolve_all
from subaccounts.pricing.models import AgencyPrice, BillableItem
from subaccounts.pricing.rules import margin_percent, tiers_from_text, tiers_to_text
from subaccounts.pricing.selectors import agency_price_grid
from subaccounts.pricing.services import price_clear, price_set
from tests.factories import AgencyFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

SMS_BASE = Decimal("0.0079")  # launch USD base cost of sms_outbound (agencies 0002_catalog)


@pytest.fixture
def sms():
    return BillableItem.objects.get(code="sms_outbound")


def test_agency_price_applies_from_now_and_is_audited(sms):
    agency, actor = AgencyFactory(), UserFactory()
    row = price_set(agency=agency, item=sms, price="0.0150", actor=actor)
    assert row.price.amount == Decimal("0.0150") and row.tiers is None
    log = AuditLog.objects.get(action="price.set")
    assert log.actor == actor and log.before is None
    assert log.after["price"] == "0.0150" and log.after["base_cost"] == "0.007900"


def test_resolution_order_override_then_agency_then_base_cost(sms):
    # given a client with no prices anywhere
    sub_account = SubAccountFactory()
    agency = sub_account.agency

    def resolved():
        return price_resolve(sub_account=sub_account, item=sms, moment=timezone.now())

    assert (resolved().source, resolved().price) == (PriceSource.BASE_COST, SMS_BASE)
    price_set(agency=agency, item=sms, price="0.0150")
    assert (resolved().source, resolved().price) == (PriceSource.AGENCY, Decimal("0.0150"))
    price_set(sub_account=sub_account, item=sms, price="0.0120")
    assert (resolved().source, resolved().price) == (PriceSource.OVERRIDE, Decimal("0.0120"))
    # a later agency price does not beat the override
    price_set(agency=agency, item=sms, price="0.0180")
    assert resolved().price == Decimal("0.0120")
    price_clear(sub_account=sub_account, item=sms)
    assert (resolved().source, resolved().price) == (PriceSource.AGENCY, Decimal("0.0180"))


def test_a_moment_before_a_change_keeps_the_old_price(sms):
    sub_account = SubAccountFactory()
    first = price_set(agency=sub_account.agency, item=sms, price="0.0150")
    second = price_set(agency=sub_account.agency, item=sms, price="0.0200")
    before_change = second.effective_from - timedelta(microseconds=1)
    assert first.effective_from <= before_change
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=before_change).price == Decimal("0.0150")
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=second.effective_from).price == Decimal("0.0200")
    # and before any price the base cost applied
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=first.effective_from - timedelta(seconds=1)).price == SMS_BASE
    assert AgencyPrice.objects.filter(agency=sub_account.agency).count() == 2


def test_tiers_are_stored_canonically_and_resolved(sms):
    sub_account = SubAccountFactory()
    price_set(agency=sub_account.agency, item=sms,
              tiers=[{"up_to": "10000", "price": "0.0100"}, {"up_to": None, "price": "0.0090"}])
    resolved = price_resolve(sub_account=sub_account, item=sms, moment=timezone.now())
    assert resolved.price is None
    assert resolved.tiers == (Tier(Decimal("10000"), Decimal("0.0100")),
                              Tier(None, Decimal("0.0090")))


BAD_PRICES = [
    ({"price": "-0.01"}, "price", "invalid"),
    ({"price": "0.0000001"}, "price", "invalid"),
    ({"price": "0.0050"}, "price", "below_base_cost"),
    ({"price": 0.02}, "price", "invalid"),  # a float
    ({"price": "abc"}, "price", "invalid"),
    ({"price": "1e3"}, "price", "invalid"),
    ({"price": "NaN"}, "price", "invalid"),
    ({"price": ""}, "price", "invalid"),
    ({"price": True}, "price", "invalid"),
    ({}, "price", "invalid"),
    ({"price": "0.02", "tiers": [{"up_to": None, "price": "0.02"}]}, "tiers", "invalid"),
    ({"price": "0.02", "currency": "EUR"}, "currency", "currency_mismatch"),
    ({"price": "0.02", "subsidize": "yes"}, "subsidize", "invalid"),
    ({"tiers": []}, "tiers", "invalid"),
    ({"tiers": "10:0.02"}, "tiers", "invalid"),
    ({"tiers": [{"up_to": "100", "price": "0.02"}]}, "tiers[0].up_to", "invalid"),
    ({"tiers": [{"up_to": None, "price": "0.02"}, {"up_to": None, "price": "0.01"}]},
     "tiers[0].up_to", "invalid"),
    ({"tiers": [{"up_to": "100", "price": "0.02"}, {"up_to": "100", "price": "0.02"},
                {"up_to": None, "price": "0.02"}]}, "tiers[1].up_to", "invalid"),
    ({"tiers": [{"up_to": "200", "price": "0.02"}, {"up_to": "100", "price": "0.02"},
                {"up_to": None, "price": "0.02"}]}, "tiers[1].up_to", "invalid"),
    ({"tiers": [{"up_to": "0", "price": "0.02"}, {"up_to": None, "price": "0.02"}]},
     "tiers[0].up_to", "invalid"),
    ({"tiers": [{"up_to": "100", "price": "0.02"}, {"up_to": None, "price": "0.001"}]},
     "tiers[1].price", "below_base_cost"),
    ({"tiers": [{"up_to": "100", "price": "-1"}, {"up_to": None, "price": "0.02"}]},
     "tiers[0].price", "invalid"),
    ({"tiers": [{"up_to": 1.5, "price": "0.02"}, {"up_to": None, "price": "0.02"}]},
     "tiers[0].up_to", "invalid"),
    ({"tiers": [{"up_to": None, "price": "0.02", "extra": 1}]}, "tiers[0]", "invalid"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_PRICES)
def test_bad_prices_are_refused_naming_the_field_and_nothing_is_saved(sms, body, field, code):
    sub_account = SubAccountFactory()
    with pytest.raises(InvalidInput) as excinfo:
        price_set(agency=sub_account.agency, item=sms, **body)
    assert (excinfo.value.field, excinfo.value.code) == (field, code)
    with pytest.raises(InvalidInput) as excinfo:
        price_set(sub_account=sub_account, item=sms, **body)
    assert (excinfo.value.field, excinfo.value.code) == (field, code)
    assert not AgencyPrice.objects.exists() and not sub_account.price_overrides.exists()
    assert not AuditLog.objects.filter(action__in=["price.set", "override.set"]).exists()


def test_below_base_cost_is_a_subsidy_only_when_asked(sms):
    sub_account = SubAccountFactory()
    row = price_set(agency=sub_account.agency, item=sms, price="0.0050", subsidize=True)
    assert row.subsidize and row.price.amount == Decimal("0.0050")
    override = price_set(sub_account=sub_account, item=sms, subsidize=True,
                            tiers=[{"up_to": "10", "price": "0.0100"},
                                   {"up_to": None, "price": "0"}])
    assert override.tiers[1] == {"up_to": None, "price": "0"}
    grid = {row.item.code: row for row in agency_price_grid(agency=sub_account.agency)}
    assert grid["sms_outbound"].subsidized
    assert grid["sms_outbound"].margin == Decimal("-0.0029")


def test_a_price_equal_to_the_base_cost_and_zero_base_items_need_no_subsidy(sms):
    agency = AgencyFactory()
    assert price_set(agency=agency, item=sms, price="0.0079").subsidize is False


def test_prices_are_in_the_agencys_currency(sms):
    agency = AgencyFactory(currency="EUR")
    row = price_set(agency=agency, item=sms, price="0.0150", currency="EUR")
    assert row.price.currency.code == "EUR"
    grid = {row.item.code: row for row in agency_price_grid(agency=agency)}
    assert grid["sms_outbound"].base_cost == Decimal("0.007268")  # 0.0079 × 0.92
    # the EUR base cost decides what is a subsidy
    with pytest.raises(InvalidInput) as excinfo:
        price_set(agency=agency, item=sms, price="0.0072")
    assert excinfo.value.code == "below_base_cost"


def test_bulk_resolution_agrees_with_price_resolve(sms):
    sub_account = SubAccountFactory()
    email = BillableItem.objects.get(code="email_send")
    price_set(agency=sub_account.agency, item=sms, price="0.0150")
    price_set(agency=sub_account.agency, item=email, price="1.00")
    price_set(sub_account=sub_account, item=email, price="0.90")
    now = timezone.now()
    everything = prices_resolve_all(sub_account=sub_account, moment=now)
    assert len(everything) == 9
    for item in BillableItem.objects.all():
        assert everything[item.code] == price_resolve(sub_account=sub_account, item=item,
                                                      moment=now)


def test_margin_percent_is_the_share_of_the_price_kept():
    assert margin_percent(Decimal("0.0150"), SMS_BASE) == Decimal("47.33")
    assert margin_percent(Decimal("0"), Decimal("0")) is None


def test_tier_text_round_trips():
    tiers = [{"up_to": "10000", "price": "0.90"}, {"up_to": None, "price": "0.70"}]
    assert tiers_from_text(tiers_to_text(tiers)) == tiers
    assert tiers_from_text("10,000: 0.90\n\n*: 0.70\n") == tiers
    with pytest.raises(InvalidInput):
        tiers_from_text("10000 0.90")
