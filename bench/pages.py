"""Bench for the billing pages and the period close (docs/PERFORMANCE.md, monitoring section).

Builds a separate database from scratch (dropped first), bulk-loads ledger entries, usage
charges and daily roll-ups with set-based SQL, then measures with Django's test Client:
the usage ledger of the big client (first page, and a filtered page deep in its history),
the agency dashboard, and a period close for many clients.

    .venv/bin/python bench/pages.py --big 1000000 --clients 200 --per-client 20000 \
        --close-clients 2000

Loading: user triggers on entries and wallets are disabled only during the load. seq and
balance_after are exact (balance_after = opening top-up − (seq − 1) × 0.0474); each entry's
hash is a SHA-256 of its own content computed in SQL, not a chain, so `verify_ledger` on the
bench database reports chain breaks: the bench measures pages, not the ledger's integrity.
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


def load_wallet_history(cursor, *, agency_id, sub_account_id, wallet_id, entries, days):
    """Entry 1 tops the wallet up; entries 2..n are usage charges of 0.0474 spread evenly
    over the last `days` days, each with its usage charge."""
    opening = f"({entries} * {UNIT_AMOUNT})::numeric"
    span = f"interval '{days} days'"
    cursor.execute(f"""
        INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency, balance_after,
            balance_after_currency, idempotency_key, reference_type, reference_id, memo,
            actor_label, created_at, hash)
        SELECT %(wallet)s, s,
            CASE WHEN s = 1 THEN 'topup' ELSE 'usage' END,
            CASE WHEN s = 1 THEN {opening} ELSE -{UNIT_AMOUNT} END, 'USD',
            {opening} - (s - 1) * {UNIT_AMOUNT}, 'USD',
            'bench:' || %(wallet)s || ':' || s,
            CASE WHEN s = 1 THEN 'topup' ELSE 'usage_charge' END,
            md5(%(wallet)s || ':' || s), '', 'bench',
            now() - {span} + ({span} * s / %(n)s),
            encode(sha256(convert_to(%(wallet)s || ':' || s, 'UTF8')), 'hex')
        FROM generate_series(1, %(n)s) AS s
    """, {"wallet": wallet_id, "n": entries})
    cursor.execute("""
        INSERT INTO wallets_usagecharge (id, agency_id, sub_account_id, item_id,
            idempotency_key, fingerprint, occurred_at, created_at, quantity, unit_price,
            unit_price_currency, amount, amount_currency, base_cost_unit,
            base_cost_unit_currency, base_cost_amount, base_cost_amount_currency,
            price_source, details, billed_to, entry_id)
        SELECT gen_random_uuid(), %(agency)s, %(sub)s,
            (%(items)s::text[])[1 + e.seq %% 9], e.idempotency_key, repeat('0', 64),
            e.created_at, e.created_at, 2, 0.0237, 'USD', -e.amount, 'USD', 0.0079, 'USD',
            %(base)s, 'USD', 'agency', '{}', 'wallet', e.id
        FROM wallets_entry e WHERE e.wallet_id = %(wallet)s AND e.kind = 'usage'
    """, {"agency": agency_id, "sub": sub_account_id, "items": ITEMS, "base": BASE_AMOUNT,
          "wallet": wallet_id})
    cursor.execute("""
        UPDATE wallets_wallet w SET balance = e.balance_after, last_seq = e.seq,
            last_hash = e.hash
        FROM wallets_entry e WHERE w.id = %(wallet)s AND e.wallet_id = w.id AND e.seq = %(n)s
    """, {"wallet": wallet_id, "n": entries})


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
    args = parser.parse_args()

    recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_DEBUG"] = "0"  # production template caching
    # production settings need a key; the test client speaks plain http
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoopbilling.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from agencies.models import Agency, AgencyMembership
    from subaccounts.services import subaccount_create
    from tests.factories import UserFactory
    from wallets.invoicing import period_close, period_get_or_create
    from wallets.models import Invoice, Wallet

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
    # Start the history inside the current period so the dashboard shows all of it.
    days = min(args.days, max(1, (timezone.now() - period_get_or_create(
        agency=agency, moment=timezone.now()).start).days))
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE wallets_entry DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE wallets_wallet DISABLE TRIGGER USER")
        try:
            plan = ([(agency, subs[0], args.big)]
                    + [(agency, sub, args.per_client) for sub in subs[1:]]
                    + [(closing_agency, sub, args.close_entries) for sub in closing_subs])
            for owner, sub, entries in plan:
                load_wallet_history(cursor, agency_id=owner.pk, sub_account_id=sub.pk,
                                    wallet_id=wallets[sub.pk], entries=entries, days=days)
            rebuild_rollups(cursor)
        finally:
            cursor.execute("ALTER TABLE wallets_entry ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE wallets_wallet ENABLE TRIGGER USER")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM wallets_entry")
        total_entries = cursor.fetchone()[0]
    load_seconds = time.perf_counter() - started
    print(f"loaded {total_entries:,} entries (big client {args.big:,}; {args.clients} × "
          f"{args.per_client:,}; closing agency {args.close_clients} × {args.close_entries}) "
          f"in {load_seconds:.0f} s over {days} days")

    client = Client()
    client.force_login(user)
    big = subs[0]
    ledger = f"/billing/clients/{big.pk}/ledger/"
    deep_cursor = max(2, args.big // 2)
    deep_day = (timezone.now() - timezone.timedelta(days=days * 3 // 4)).date().isoformat()
    figures = {
        "ledger, first page": median_ms(client, ledger),
        "ledger, deep page (item + kind + date filter, cursor at the middle)": median_ms(
            client, ledger, {"item": "email_send", "kind": "usage", "date_to": deep_day,
                             "before": deep_cursor}),
        "dashboard": median_ms(client, "/billing/"),
    }
    for label, value in figures.items():
        print(f"median {label}: {value:.1f} ms")

    period = period_get_or_create(agency=closing_agency, moment=timezone.now())
    started = time.perf_counter()
    result = period_close(period=period, now=period.end)
    close_seconds = time.perf_counter() - started
    assert Invoice.objects.filter(agency=closing_agency).count() == args.close_clients
    print(f"period close for {args.close_clients} clients: {result['invoices']} invoices in "
          f"{close_seconds:.1f} s")


if __name__ == "__main__":
    main()
