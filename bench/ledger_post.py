"""Ledger posting throughput: entries/s through the service vs. the raw SQL ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hb_bench .venv/bin/python bench/ledger_post.py

Scenarios: one hot wallet and 100 wallets ("spread"), with 1 and 8 concurrent writers (each
writer its own process and connection). "service" posts each entry through the ledger's
front door (`wallets.ledger.services.ledger_transaction`); "raw" does the same lock + INSERT
+ UPDATE with plain psycopg and no Django, computing the same signed hash. Prints entries/s for
each and the service/raw ratio. Uses its own database: the one in DATABASE_URL is created and
migrated if missing.

`--hash` only prints what an entry's hash costs in Python, the keyed HMAC-SHA256 over every
field against the plain SHA-256 entries carried before (no database).
"""

import argparse
import multiprocessing as mp
import os
import secrets
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoopbilling.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hb_bench")
# Production settings (no per-query debug log); the key only signs nothing here.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

AMOUNT = Decimal("-0.0079")


def setup_django():
    import django

    django.setup()


def prepare(wallet_count: int) -> list[int]:
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    admin_dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [db["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)
    from agencies.models import Agency
    from subaccounts.services import subaccount_create
    from wallets.ledger.models import Wallet

    agency = Agency.objects.filter(name="ledger bench").first() or Agency.objects.create(
        name="ledger bench")
    while agency.sub_accounts.count() < wallet_count:
        subaccount_create(agency=agency, name=f"bench {agency.sub_accounts.count()}")
    return list(Wallet.objects.filter(sub_account__agency=agency)
                .order_by("pk").values_list("pk", flat=True)[:wallet_count])


def service_writer(wallet_ids, writer, seconds, run_tag, counter):
    setup_django()
    from wallets.ledger.posting import Posting
    from wallets.ledger.services import ledger_transaction

    n, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        wallet_id = wallet_ids[(writer + n) % len(wallet_ids)]
        with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
            ledger.post({wallet_id: [Posting(
                kind="usage", amount=AMOUNT, currency="USD",
                idempotency_key=f"{run_tag}:{writer}:{n}")]})
        n += 1
    counter.value += n


def raw_writer(wallet_ids, writer, seconds, run_tag, counter):
    setup_django()
    import psycopg
    from django.conf import settings
    from django.utils import timezone

    from hoopbilling.signing import signing_key
    from wallets.ledger.posting import entry_hash

    db = settings.DATABASES["default"]
    conn = psycopg.connect(f"host={db['HOST']} port={db['PORT']} user={db['USER']} "
                           f"dbname={db['NAME']}")
    signer = signing_key()
    n, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        wallet_id = wallet_ids[(writer + n) % len(wallet_ids)]
        key = f"{run_tag}:{writer}:{n}"
        with conn.transaction():
            balance, last_seq, last_hash = conn.execute(
                "SELECT balance, last_seq, last_hash FROM wallets_wallet WHERE id = %s "
                "FOR UPDATE", [wallet_id]).fetchone()
            seq, balance, now = last_seq + 1, balance + AMOUNT, timezone.now()
            digest = entry_hash(signer, prev_hash=last_hash, wallet_id=wallet_id, seq=seq,
                                kind="usage", amount=AMOUNT, currency="USD",
                                balance_after=balance, idempotency_key=key, reference_type="",
                                reference_id="", corrects_id=None, memo="", actor_label="",
                                created_at=now, binding="")
            conn.execute(
                "INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency, "
                "balance_after, balance_after_currency, idempotency_key, reference_type, "
                "reference_id, memo, actor_label, created_at, hash, key_id) VALUES "
                "(%s, %s, 'usage', %s, 'USD', %s, 'USD', %s, '', '', '', '', %s, %s, %s)",
                [wallet_id, seq, AMOUNT, balance, key, now, digest, signer.key_id])
            conn.execute("UPDATE wallets_wallet SET balance = %s, last_seq = %s, "
                         "last_hash = %s, updated_at = %s WHERE id = %s",
                         [balance, seq, digest, now, wallet_id])
        n += 1
    conn.close()
    counter.value += n


def hash_cost(rounds: int = 10_000, repeats: int = 7) -> None:
    """µs per entry of the plain SHA-256 and of the keyed HMAC over every field (the best of
    `repeats` runs: on a shared machine the others measure the neighbours)."""
    from django.utils import timezone

    from hoopbilling.signing import signing_key
    from wallets.ledger.posting import entry_hash, legacy_entry_hash

    signer, now = signing_key(), timezone.now()
    fields = {"prev_hash": "0" * 64, "wallet_id": 12345, "seq": 67890, "kind": "usage",
              "amount": AMOUNT, "currency": "USD", "balance_after": Decimal("1234.567800"),
              "idempotency_key": "usage:1:sms-2026-12-03-000123", "reference_type": "usage_charge",
              "reference_id": "0b7c5d3e-7d4c-4f55-9a0e-3c1f1b2a9d10", "corrects_id": None,
              "created_at": now}
    keyed = {**fields, "memo": "sms_outbound × 2", "actor_label": "", "binding": "f" * 64}
    for label, sign in (("plain SHA-256 (before)", lambda: legacy_entry_hash(**fields)),
                        ("HMAC-SHA256, every field", lambda: entry_hash(signer, **keyed))):
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(rounds):
                sign()
            best = min(best, time.perf_counter() - started)
        print(f"{label:<26}{best / rounds * 1e6:>8.1f} µs/entry")


def run(kind, wallet_ids, writers, seconds, run_tag):
    target = service_writer if kind == "service" else raw_writer
    counter = mp.Value("l", 0, lock=True)
    processes = [mp.Process(target=target, args=(wallet_ids, w, seconds, run_tag, counter))
                 for w in range(writers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return counter.value / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--hash", action="store_true", help="only the hash's cost")
    args = parser.parse_args()
    setup_django()
    if args.hash:
        hash_cost()
        return
    wallets = prepare(100)
    from django.db import connections

    connections.close_all()
    tag = f"bench{int(time.time())}"
    print(f"{'scenario':<22}{'writers':>8}{'service/s':>12}{'raw/s':>10}{'ratio':>8}")
    for label, ids in (("spread (100 wallets)", wallets), ("hot (1 wallet)", wallets[:1])):
        for writers in args.writers:
            service = run("service", ids, writers, args.seconds, f"{tag}:s:{label}:{writers}")
            raw = run("raw", ids, writers, args.seconds, f"{tag}:r:{label}:{writers}")
            print(f"{label:<22}{writers:>8}{service:>12.0f}{raw:>10.0f}{service / raw:>8.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
