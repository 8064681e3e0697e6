"""Daily usage roll-ups, kept in the usage transaction (`receivers`: on `usage_recorded`).

One row per client × item × UTC day × who pays (wallet or agency): quantity, amount, base
cost and count, added with one `INSERT … ON CONFLICT DO UPDATE` per batch, so the dashboard
and the agency statement read a few hundred rows instead of millions of charges. The day is
when the usage reached the ledger (the entry's time; the charge's for absorbed usage), the
same attribution the invoices use.
"""

from collections import defaultdict
from datetime import UTC
from decimal import Decimal

from django.db import connection

from hoopbilling.db import prepared_cursor, rows_source
from wallets.usage.models import UsageDaily
from wallets.usage.signals import UsageFacts


def rollups_add(*, charges: list[UsageFacts]) -> None:
    totals: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), 0])
    for charge in charges:
        day = charge.reached_ledger_at.astimezone(UTC).date()
        key = (charge.agency_id, charge.sub_account_id, charge.item_id, day, charge.billed_to)
        row = totals[key]
        row[0] += charge.quantity
        row[1] += charge.amount
        row[2] += charge.base_cost_amount
        row[3] += 1
    if not totals:
        return
    table = connection.ops.quote_name(UsageDaily._meta.db_table)
    names = ["agency_id", "sub_account_id", "item_id", "day", "billed_to", "quantity", "amount",
             "base_cost", "count"]
    # Sorted keys: two batches touching the same rows lock them in the same order.
    source, params = rows_source(UsageDaily, names,
                                 [(*key, *totals[key]) for key in sorted(totals)])
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) {source} "
        "ON CONFLICT (sub_account_id, item_id, day, billed_to) DO UPDATE SET "
        f"quantity = {table}.quantity + EXCLUDED.quantity, "
        f"amount = {table}.amount + EXCLUDED.amount, "
        f"base_cost = {table}.base_cost + EXCLUDED.base_cost, "
        f"count = {table}.count + EXCLUDED.count"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)

