"""The pricing services: base costs (`base_cost_set`) and a client's own prices
(`price_set` with a sub-account, `price_clear`) and how they resolve. Agency prices, and the
rules both follow: test_rules.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from hoopbilling.errors import InvalidInput
from hoopbilling.models import AuditLog
from subaccounts.pricing.book import PriceSource, price_resolve
from subaccounts.pricing.models import BaseCost, BillableItem
from subaccounts.pricing.selectors import base_cost_at
from subaccounts.pricing.services import base_cost_set, price_clear, price_set
from tests.factories import AgencyFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms():
    return BillableItem.objects.get(code="sms_outbound")


def test_cleared_override_keeps_its_history(sms):
    sub_account = SubAccountFactory()
    override = price_set(sub_account=sub_account, item=sms, price="0.0300")
    cleared = price_clear(sub_account=sub_account, item=sms)
    assert cleared.cleared and sub_account.price_overrides.count() == 2
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=cleared.effective_from - timedelta(microseconds=1)
                         ).price == Decimal("0.0300")
    assert override.effective_from < cleared.effective_from
    # clearing again writes nothing
    assert price_clear(sub_account=sub_account, item=sms) is None
    assert sub_account.price_overrides.count() == 2


def test_override_is_one_clients_only_and_audited(sms):
    acme = SubAccountFactory()
    zen = SubAccountFactory(agency=acme.agency)
    actor = UserFactory()
    price_set(agency=acme.agency, item=sms, price="0.0150")
    price_set(sub_account=acme, item=sms, price="0.0300", actor=actor)
    now = timezone.now()
    assert price_resolve(sub_account=acme, item=sms, moment=now).source == PriceSource.OVERRIDE
    assert price_resolve(sub_account=zen, item=sms, moment=now).price == Decimal("0.0150")
    log = AuditLog.objects.get(action="override.set")
    assert log.actor == actor and log.after["sub_account"] == str(acme.pk)
    assert log.after["price"] == "0.0300" and log.agency_id == acme.agency_id


def test_an_override_after_a_reset_applies_again_and_history_has_three_rows(sms):
    sub_account = SubAccountFactory()
    price_set(sub_account=sub_account, item=sms, price="0.0300")
    price_clear(sub_account=sub_account, item=sms)
    third = price_set(sub_account=sub_account, item=sms,
                         tiers=[{"up_to": "1000", "price": "0.0200"},
                                {"up_to": None, "price": "0.0100"}])
    resolved = price_resolve(sub_account=sub_account, item=sms, moment=third.effective_from)
    assert resolved.source == PriceSource.OVERRIDE and resolved.is_tiered
    assert sub_account.price_overrides.count() == 3
    assert [log.action for log in AuditLog.objects.filter(action__startswith="override")
            .order_by("id")] == ["override.set", "override.clear", "override.set"]


def test_override_is_checked_against_the_agency_currency_base_cost(sms):
    sub_account = SubAccountFactory(agency=AgencyFactory(currency="GBP"))
    with pytest.raises(InvalidInput) as excinfo:
        price_set(sub_account=sub_account, item=sms, price="0.0100", currency="USD")
    assert excinfo.value.code == "currency_mismatch"
    with pytest.raises(InvalidInput) as excinfo:
        price_set(sub_account=sub_account, item=sms, price="0.0060")  # GBP base 0.006241
    assert excinfo.value.code == "below_base_cost"
    row = price_set(sub_account=sub_account, item=sms, price="0.0070")
    assert row.price.currency.code == "GBP"
    assert price_resolve(sub_account=sub_account, item=sms,
                         moment=row.effective_from + timedelta(seconds=1)).currency == "GBP"


def test_negative_base_cost_is_refused():
    item = BillableItem.objects.get(code="sms_outbound")
    before = BaseCost.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        base_cost_set(item=item, currency="USD", cost=Decimal("-0.01"))
    assert excinfo.value.field == "cost"
    assert BaseCost.objects.count() == before


def test_base_cost_change_applies_from_its_moment():
    item = BillableItem.objects.get(code="sms_outbound")
    later = timezone.now() + timedelta(days=7)
    base_cost_set(item=item, currency="USD", cost=Decimal("0.0083"), effective_from=later)
    assert base_cost_at(item=item, currency="USD", moment=timezone.now()).cost.amount == \
        Decimal("0.0079")
    assert base_cost_at(item=item, currency="USD", moment=later).cost.amount == Decimal("0.0083")


def test_a_clients_price_is_written_to_its_own_agencys_list_only(sms):
    sub_account = SubAccountFactory()
    with pytest.raises(ValueError):
        price_set(agency=AgencyFactory(), sub_account=sub_account, item=sms, price="0.0300")
    assert not sub_account.price_overrides.exists()
    assert not AuditLog.objects.filter(action="override.set").exists()
