"""Bench for the billing pages and the period close (docs/PERFORMANCE.md, monitoring section).

Builds a separate database from scratch (dropped first), bulk-loads ledger entries, usage
charges and daily roll-ups with set-based SQL, then measures with Django's test Client:
the usage ledger of the big client (first page, and a filtered page deep in its history),
the agency dashboard, and a period close for many clients.

    .venv/bin/python bench/pages.py --big 1000000 --clients 200 --per-client 20000 \
        --close-clients 2000

Loading: set-based SQL over generate_series, with the session's triggers (ledger guards and
foreign key checks) off and the secondary indexes of entries and usage charges dropped, then
rebuilt once the rows are in. seq and balance_after are exact (balance_after = opening top-up
− (seq − 1) × 0.0474); each entry's hash is a SHA-256 of its own content computed in SQL, not
a chain, so `verify_ledger` on the bench database reports chain breaks: the bench measures
pages, not the ledger's integrity.

`--reuse` measures the pages again on a database an earlier run loaded (no load, no close).
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ITEMS = ["sms_outbound", "mms_outbound", "call_inbound", "call_outbound", "email_send",
         "email_verification", "workflow_premium", "content_ai", "review_request"]
UNIT_AMOUNT = "0.047400"  # 2 units × 0.0237
BASE_AMOUNT = "0.015800"  # 2 units × 0.0079


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load_histories(cursor, *, plan, days):
    """Every wallet's history in three set-based statements. `plan` is a list of
    (agency id, sub-account id, wallet id, entries): entry 1 tops the wallet up; entries
    2..n are usage charges of 0.0474 spread evenly over the last `days` days, each with its
    usage charge."""
    cursor.execute("CREATE TEMP TABLE bench_plan (agency_id uuid, sub_account_id uuid, "
                   "wallet_id bigint, n bigint)")
    with cursor.copy("COPY bench_plan FROM STDIN") as copy:
        for row in plan:
            copy.write_row(row)
    opening = f"(p.n * {UNIT_AMOUNT})::numeric"
    span = f"interval '{days} days'"
    cursor.execute(f"""
        INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency, balance_after,
            balance_after_currency, idempotency_key, reference_type, reference_id, memo,
            actor_label, created_at, hash)
        SELECT p.wallet_id, s,
            CASE WHEN s = 1 THEN 'topup' ELSE 'usage' END,
            CASE WHEN s = 1 THEN {opening} ELSE -{UNIT_AMOUNT} END, 'USD',
            {opening} - (s - 1) * {UNIT_AMOUNT}, 'USD',
            'bench:' || p.wallet_id || ':' || s,
            CASE WHEN s = 1 THEN 'topup' ELSE 'usage_charge' END,
            md5(p.wallet_id || ':' || s), '', 'bench',
            now() - {span} + ({span} * s / p.n),
            encode(sha256(convert_to(p.wallet_id || ':' || s, 'UTF8')), 'hex')
        FROM bench_plan p, generate_series(1, p.n) AS s
        ORDER BY p.wallet_id, s
    """)
    cursor.execute("""
        INSERT INTO wallets_usagecharge (id, agency_id, sub_account_id, item_id,
            idempotency_key, fingerprint, occurred_at, created_at, quantity, unit_price,
            unit_price_currency, amount, amount_currency, base_cost_unit,
            base_cost_unit_currency, base_cost_amount, base_cost_amount_currency,
            price_source, details, billed_to, entry_id)
        SELECT gen_random_uuid(), p.agency_id, p.sub_account_id,
            (%(items)s::text[])[1 + e.seq %% 9], e.idempotency_key, repeat('0', 64),
            e.created_at, e.created_at, 2, 0.0237, 'USD', -e.amount, 'USD', 0.0079, 'USD',
            %(base)s, 'USD', 'agency', '{}', 'wallet', e.id
        FROM wallets_entry e JOIN bench_plan p ON p.wallet_id = e.wallet_id
        WHERE e.kind = 'usage'
    """, {"items": ITEMS, "base": BASE_AMOUNT})
    cursor.execute(f"""
        UPDATE wallets_wallet w SET balance = {UNIT_AMOUNT} * p.n - (p.n - 1) * {UNIT_AMOUNT},
            last_seq = p.n,
            last_hash = encode(sha256(convert_to(p.wallet_id || ':' || p.n, 'UTF8')), 'hex')
        FROM bench_plan p WHERE w.id = p.wallet_id
    """)


def secondary_indexes_drop(cursor, tables):
    """Drop every index of `tables` but the primary keys (unique constraints too) and return
    the statements that recreate them: building an index once is far cheaper than keeping it
    up to date row by row during the load."""
    cursor.execute("""
        SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), pg_get_indexdef(x.indexrelid),
            i.relname
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary
    """, [tables])
    recreate = []
    for table, constraint, constraint_def, index_def, index in cursor.fetchall():
        if constraint:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
            recreate.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {constraint_def}')
        else:
            cursor.execute(f'DROP INDEX "{index}"')
            recreate.append(index_def)
    return recreate


def rebuild_rollups(cursor):
    cursor.execute("TRUNCATE wallets_usagedaily")
    cursor.execute("""
        INSERT INTO wallets_usagedaily (agency_id, sub_account_id, item_id, day, billed_to,
            quantity, amount, base_cost, count)
        SELECT agency_id, sub_account_id, item_id, (created_at AT TIME ZONE 'UTC')::date,
            billed_to, sum(quantity), sum(amount), sum(base_cost_amount), count(*)
        FROM wallets_usagecharge GROUP BY 1, 2, 3, 4, 5
    """)


def median_ms(client, url, params=None, runs=15):
    client.get(url, params or {})  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params or {})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings)


def load(args, days):
    """Create both agencies and load their histories; returns the bench agency's user."""
    from django.core.management import call_command
    from django.db import connection

    from agencies.models import Agency, AgencyMembership
    from subaccounts.services import subaccount_create
    from tests.factories import UserFactory
    from wallets.ledger.models import Wallet

    call_command("migrate", verbosity=0)

    def agency_with(name, clients):
        agency = Agency.objects.create(name=name, currency="USD", billing_anchor_day=1)
        subs = [subaccount_create(agency=agency, name=f"{name} client {i}")
                for i in range(clients)]
        return agency, subs

    started = time.perf_counter()
    agency, subs = agency_with("Bench agency", args.clients + 1)
    closing_agency, closing_subs = agency_with("Closing agency", args.close_clients)
    user = UserFactory(username="bench@agency.test")
    AgencyMembership.objects.create(agency=agency, user=user, role="admin")
    wallets = dict(Wallet.objects.values_list("sub_account_id", "pk"))
    print(f"{len(subs) + len(closing_subs)} clients created in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    plan = ([(agency.pk, subs[0].pk, wallets[subs[0].pk], args.big)]
            + [(agency.pk, sub.pk, wallets[sub.pk], args.per_client) for sub in subs[1:]]
            + [(closing_agency.pk, sub.pk, wallets[sub.pk], args.close_entries)
               for sub in closing_subs])
    with connection.cursor() as cursor:
        # Replica mode skips every trigger of this session, the ledger guards and the foreign
        # key checks alike; the rows are built consistent, and the indexes come back whole.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        recreate = secondary_indexes_drop(cursor, ["wallets_entry", "wallets_usagecharge"])
        load_histories(cursor, plan=plan, days=days)
        rebuild_rollups(cursor)
        for statement in recreate:
            cursor.execute(statement)
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM wallets_entry")
        total_entries = cursor.fetchone()[0]
    print(f"loaded {total_entries:,} entries (big client {args.big:,}; {args.clients} × "
          f"{args.per_client:,}; closing agency {args.close_clients} × {args.close_entries}) "
          f"in {time.perf_counter() - started:.0f} s over {days} days", flush=True)
    return user


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/hb_monitoring_bench")
    parser.add_argument("--big", type=int, default=1_000_000, help="entries of the big client")
    parser.add_argument("--clients", type=int, default=200, help="other clients of the agency")
    parser.add_argument("--per-client", type=int, default=20_000)
    parser.add_argument("--close-clients", type=int, default=2000,
                        help="clients of the agency whose period close is timed")
    parser.add_argument("--close-entries", type=int, default=50,
                        help="entries per client of the closing agency")
    parser.add_argument("--days", type=int, default=20, help="history spread over N days")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the pages on the database an earlier run loaded")
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_DEBUG"] = "0"  # production template caching
    # production settings need a key; the test client speaks plain http
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    # dj-stripe's migrations take a minute or more and no measured page reads its tables
    os.environ["DJSTRIPE_SKIP_MIGRATIONS"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoopbilling.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from agencies.models import Agency
    from agencies.periods import period_bounds
    from wallets.billing.invoicing import period_close, period_get_or_create
    from wallets.billing.models import Invoice
    from wallets.ledger.models import Wallet

    # Start the history inside the current period so the dashboard shows all of it.
    now = timezone.now()
    days = min(args.days, max(1, (now - period_bounds(anchor_day=1, moment=now)[0]).days))
    if args.reuse:
        user = get_user_model().objects.get(username="bench@agency.test")
    else:
        user = load(args, days)
    agency = Agency.objects.get(name="Bench agency")
    big = Wallet.objects.filter(sub_account__agency=agency).order_by("-last_seq").first()

    client = Client()
    client.force_login(user)
    ledger = f"/billing/clients/{big.sub_account_id}/ledger/"
    deep_cursor = max(2, args.big // 2)
    deep_day = (now - timezone.timedelta(days=days * 3 // 4)).date().isoformat()
    figures = {
        "ledger, first page": median_ms(client, ledger),
        "ledger, deep page (item + kind + date filter, cursor at the middle)": median_ms(
            client, ledger, {"item": "email_send", "kind": "usage", "date_to": deep_day,
                             "before": deep_cursor}),
        "dashboard": median_ms(client, "/billing/"),
    }
    for label, value in figures.items():
        print(f"median {label}: {value:.1f} ms", flush=True)
    if args.reuse:
        return

    closing_agency = Agency.objects.get(name="Closing agency")
    period = period_get_or_create(agency=closing_agency, moment=now)
    started = time.perf_counter()
    result = period_close(period=period, now=period.end)
    close_seconds = time.perf_counter() - started
    assert Invoice.objects.filter(agency=closing_agency).count() == args.close_clients
    print(f"period close for {args.close_clients} clients: {result['invoices']} invoices in "
          f"{close_seconds:.1f} s")


if __name__ == "__main__":
    main()
