"""hoopbilling.db: the prepared cursor of the usage hot path, rows read back as models, and
rows inserted without models."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoopbilling.db import (
    BULK_FROM,
    insert_rows,
    model_columns,
    models_from_rows,
    prepared_cursor,
    rows_source,
)
from subaccounts.pricing.models import PriceOverride
from tests.factories import SubAccountFactory
from wallets.ledger.models import Wallet
from wallets.usage.models import UsageCounter

pytestmark = pytest.mark.django_db


def test_statements_are_prepared_once_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    sql = "SELECT %s::int + 1 /* test_db */"
    for value in (1, 2, 3):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [value])
            assert cursor.fetchone() == (value + 1,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                       "WHERE statement LIKE '%%test_db%%'")
        assert cursor.fetchone() == (1,)


def test_queries_are_still_logged_with_their_sql():
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):  # prepared on the first run, only executed on the second
            with prepared_cursor() as cursor:
                cursor.execute("SELECT %s /* logged */", [1])
    assert len(queries) == 2 and all("logged" in query["sql"] for query in queries)


def test_rows_become_models_with_the_orms_conversions():
    sub_account = SubAccountFactory()
    override = PriceOverride.objects.create(
        sub_account=sub_account, item_id="sms_outbound", price=None, effective_from=timezone.now(),
        tiers=[{"up_to": "10", "price": "0.5"}, {"up_to": None, "price": "0.4"}])
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT {model_columns(Wallet, 'w')} FROM wallets_wallet w "
                       "WHERE w.sub_account_id = %s", [sub_account.pk.hex
                                                       if connection.vendor == "sqlite"
                                                       else sub_account.pk])
        [wallet] = models_from_rows(Wallet, cursor.fetchall())
        cursor.execute(f"SELECT {model_columns(PriceOverride)} FROM subaccounts_priceoverride "
                       "WHERE id = %s", [override.pk])
        [loaded] = models_from_rows(PriceOverride, cursor.fetchall())
    assert wallet == Wallet.objects.get(sub_account=sub_account)
    assert wallet.sub_account_id == sub_account.pk and wallet.balance == sub_account.wallet.balance
    assert wallet.created_at == sub_account.wallet.created_at
    assert loaded.tiers == override.tiers and loaded.price is None
    assert not loaded._state.adding


@pytest.mark.parametrize("count", [3, BULK_FROM + 5])  # one INSERT, then COPY on PostgreSQL
def test_insert_rows_stores_what_the_orm_reads_back(count):
    sub_account = SubAccountFactory()
    now = timezone.now()
    rows = [{"id": 10_000 + n, "sub_account_id": sub_account.pk, "item_id": "sms_outbound",
             "price_currency": "USD", "price": None if n % 2 else Decimal("0.012345"),
             "tiers": [{"up_to": "10", "price": "0.5"}, {"up_to": None, "price": "0.4"}]
             if n % 2 else None, "subsidize": n == 0, "cleared": False,
             "effective_from": now, "created_at": now, "created_by_id": None}
            for n in range(count)]
    insert_rows(PriceOverride, rows)
    stored = {o.pk: o for o in PriceOverride.objects.filter(sub_account=sub_account)}
    assert len(stored) == count
    for row in rows:
        override = stored[row["id"]]
        assert override.tiers == row["tiers"] and override.subsidize == row["subsidize"]
        assert (override.price and override.price.amount) == row["price"]
        assert override.effective_from == now


@pytest.mark.parametrize("count", [1, BULK_FROM])
def test_insert_rows_raises_integrity_error_and_writes_nothing(count):
    sub_account = SubAccountFactory()
    now = timezone.now()
    row = {"id": 20_000, "sub_account_id": sub_account.pk, "item_id": "sms_outbound",
           "price_currency": "USD", "price": Decimal("1"), "tiers": None, "subsidize": False,
           "cleared": False, "effective_from": now, "created_at": now, "created_by_id": None}
    insert_rows(PriceOverride, [row])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(PriceOverride, [{**row, "id": 20_001 + n} for n in range(count - 1)]
                    + [row])
    assert PriceOverride.objects.filter(sub_account=sub_account).count() == 1


@pytest.mark.parametrize("count", [2, BULK_FROM + 3])  # VALUES, then UNNEST on PostgreSQL
def test_rows_source_feeds_an_upsert(count):
    clients = [SubAccountFactory() for _ in range(count)]
    start = timezone.now().replace(microsecond=0)
    rows = [(client.pk, "sms_outbound", start, Decimal(n + 1)) for n, client in enumerate(clients)]
    source, params = rows_source(UsageCounter, ["sub_account_id", "item_id", "period_start",
                                                "quantity"], rows)
    sql = (f"INSERT INTO wallets_usagecounter (sub_account_id, item_id, period_start, "
           f"quantity) {source} ON CONFLICT (sub_account_id, item_id, period_start) "
           "DO UPDATE SET quantity = wallets_usagecounter.quantity + excluded.quantity")
    for _ in range(2):
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
    stored = dict(UsageCounter.objects.values_list("sub_account_id", "quantity"))
    assert stored == {client.pk: Decimal(2 * (n + 1)) for n, client in enumerate(clients)}
