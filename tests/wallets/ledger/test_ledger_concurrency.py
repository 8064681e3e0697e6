"""Many writers on one wallet at once, on PostgreSQL with real row locks."""

import sys
import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import WalletFactory, ledger_post_one
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
PER_THREAD = 500


@pytest.fixture
def quick_thread_switches():
    # Writers block on the wallet's row lock, then need the GIL back to finish their
    # transaction: shorter switches stop a convoy where each lock holder waits 5 ms for it.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    yield
    sys.setswitchinterval(previous)


def test_twenty_threads_posting_to_one_wallet_lose_nothing(quick_thread_switches):
    wallet = WalletFactory()
    errors = []
    start = threading.Barrier(THREADS)

    def writer(n):
        try:
            start.wait()
            for i in range(PER_THREAD):
                # Mixed signs and six-place amounts: the sum must hold to the last decimal.
                amount = Decimal(f"{(-1) ** i * (i % 97 + 1)}.{n:02d}{i % 10}013")
                kind = "adjustment"
                ledger_post_one(wallet_id=wallet.pk, posting=Posting(
                    kind=kind, amount=amount, currency="USD", idempotency_key=f"t{n}:{i}"))
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    wallet = Wallet.objects.get(pk=wallet.pk)
    entries = Entry.objects.filter(wallet=wallet)
    assert entries.count() == THREADS * PER_THREAD
    total = sum(entries.values_list("amount", flat=True), Decimal(0))
    assert wallet.balance.amount == total
    assert wallet.last_seq == THREADS * PER_THREAD
    [check] = ledger_verify(wallet_ids=[wallet.pk])
    assert check.ok, check.problems


def test_concurrent_replays_of_one_key_post_once():
    wallet = WalletFactory()
    results = []
    start = threading.Barrier(8)

    def writer():
        try:
            start.wait()
            results.append(ledger_post_one(wallet_id=wallet.pk, posting=Posting(
                kind="topup", amount=Decimal("20"), currency="USD",
                idempotency_key="topup:one")))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert sum(1 for _, replayed in results if not replayed) == 1
    assert len({entry.pk for entry, _ in results}) == 1
    assert Wallet.objects.get(pk=wallet.pk).balance.amount == Decimal("20")
