"""Single events reuse their client's price book across requests (subaccounts.pricing.book.
price_book_cached): every price write must still reach the next event, whatever wrote it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency
from subaccounts.pricing.models import BillableItem
from tests.factories import (
    AgencyFactory,
    AgencyPriceFactory,
    BaseCostFactory,
    PriceOverrideFactory,
    SubAccountFactory,
)
from wallets.usage.services import usage_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_account():
    # Room below zero: these tests charge a client without funds, about prices not limits.
    return SubAccountFactory(agency=AgencyFactory(currency="USD", open_credit=True))


def charge(sub_account, key, **event):
    # The agency object the caller holds stays as it was loaded: the version that matters is
    # the one read with the sub-account in each request.
    result = usage_record(agency=sub_account.agency, event={
        "sub_account": str(sub_account.pk), "item": "sms_outbound", "idempotency_key": key,
        "quantity": "1000", **event})
    return result.charge.price_source, result.charge.amount.amount


def version(agency):
    return Agency.objects.values_list("prices_version", flat=True).get(pk=agency.pk)


def test_every_price_table_raises_the_agency_version(client_account):
    agency, sms = client_account.agency, BillableItem.objects.get(code="sms_outbound")
    other = AgencyFactory(currency="EUR")
    start = version(agency)
    AgencyPriceFactory(agency=agency, item=sms)
    assert version(agency) == start + 1
    PriceOverrideFactory(sub_account=client_account, item=sms)
    assert version(agency) == start + 2
    BaseCostFactory(item=sms, cost=Money("0.0090", "USD"))
    assert version(agency) == start + 3
    assert version(other) == 0  # a USD base cost is not the EUR agency's business
    with connection.cursor() as cursor:  # raw SQL too: the trigger is the guarantee
        cursor.execute("DELETE FROM subaccounts_priceoverride WHERE sub_account_id = %s",
                       [client_account.pk.hex if connection.vendor == "sqlite"
                        else client_account.pk])
    assert version(agency) == start + 4


def test_a_price_written_between_two_events_applies_to_the_second(client_account):
    agency, sms = client_account.agency, BillableItem.objects.get(code="sms_outbound")
    assert charge(client_account, "a") == ("base_cost", Decimal("7.900000"))
    AgencyPriceFactory(agency=agency, item=sms, price=Money("0.0120", "USD"))
    assert charge(client_account, "b") == ("agency", Decimal("12.000000"))
    PriceOverrideFactory(sub_account=client_account, item=sms, price=Money("0.0110", "USD"))
    assert charge(client_account, "c") == ("override", Decimal("11.000000"))
    PriceOverrideFactory(sub_account=client_account, item=sms, price=None, cleared=True)
    assert charge(client_account, "d") == ("agency", Decimal("12.000000"))


def test_a_new_base_cost_reaches_a_client_without_a_price_of_its_own(client_account):
    sms = BillableItem.objects.get(code="sms_outbound")
    assert charge(client_account, "a") == ("base_cost", Decimal("7.900000"))
    BaseCostFactory(item=sms, cost=Money("0.0085", "USD"))
    assert charge(client_account, "b") == ("base_cost", Decimal("8.500000"))


def test_a_price_scheduled_to_start_soon_applies_from_its_start(client_account):
    agency, sms = client_account.agency, BillableItem.objects.get(code="sms_outbound")
    now = timezone.now()
    AgencyPriceFactory(agency=agency, item=sms, price=Money("0.0150", "USD"),
                       effective_from=now + timedelta(minutes=2))
    assert charge(client_account, "a") == ("base_cost", Decimal("7.900000"))
    later = (now + timedelta(minutes=3)).isoformat()
    assert charge(client_account, "b", occurred_at=later) == ("agency", Decimal("15.000000"))


def test_clients_of_one_agency_keep_their_own_overrides(client_account):
    agency, sms = client_account.agency, BillableItem.objects.get(code="sms_outbound")
    neighbour = SubAccountFactory(agency=agency)
    PriceOverrideFactory(sub_account=neighbour, item=sms, price=Money("0.0300", "USD"))
    assert charge(neighbour, "a") == ("override", Decimal("30.000000"))
    assert charge(client_account, "b") == ("base_cost", Decimal("7.900000"))


def test_the_next_event_of_a_client_reads_no_prices(client_account):
    def book_queries(key):
        with CaptureQueriesContext(connection) as queries:
            charge(client_account, key)
        return [q["sql"] for q in queries if "agencies_basecost" in q["sql"]]

    assert len(book_queries("a")) == 1
    assert book_queries("b") == []  # the book of "a", still current
    AgencyPriceFactory(agency=client_account.agency,
                       item=BillableItem.objects.get(code="sms_outbound"))
    assert len(book_queries("c")) == 1
