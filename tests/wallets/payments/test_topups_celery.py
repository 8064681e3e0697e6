"""A real Celery worker on Redis tops up a wallet that usage drove below its threshold."""

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from hoopbilling.celery import app as celery_app
from tests.factories import ledger_post_one, wallet_with_card
from wallets.ledger.models import Entry
from wallets.ledger.posting import Posting
from wallets.ledger.signals import wallet_debited
from wallets.payments.models import TopUp

# The app's own broker when it is Redis (CI), so the test sends exactly as production does;
# otherwise (a local `make test` on the filesystem broker) a Redis database of its own.
BROKER = os.environ.get("PAYMENTS_TEST_BROKER") or (
    celery_app.conf.broker_url if str(celery_app.conf.broker_url).startswith("redis://")
    else "redis://127.0.0.1:6379/3")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(monkeypatch):
    settings_dict = connection.settings_dict
    database_url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
                    f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")
    env = {**os.environ, "CELERY_BROKER_URL": BROKER, "DATABASE_URL": database_url,
           "DATABASE_CONN_MAX_AGE": "0"}
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    if celery_app.conf.broker_url != BROKER:
        # Celery reads CELERY_BROKER_URL before its own setting: both must name the broker.
        monkeypatch.setenv("CELERY_BROKER_URL", BROKER)
        celery_app.conf.broker_url = BROKER
        _reset_producers()
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")  # messages an earlier run left behind
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hoopbilling", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "-n", "payments-test@%h", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)
        if celery_app.conf.broker_url != previous[0]:
            celery_app.conf.broker_url = previous[0]
            _reset_producers()
        celery_app.conf.task_always_eager = previous[1]


def _reset_producers():
    """Drop pooled broker connections so the next send uses the current broker_url: the
    app's pool and kombu's global producer pools, which would otherwise hand out a producer
    of the closed pool ("Acquire on closed pool")."""
    from kombu import pools

    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_tops_up_after_usage_crosses_the_threshold_once(worker):
    # given a committed wallet with a card and auto top-up at 10 → +50, cap 100
    wallet = wallet_with_card(balance="20", auto={
        "threshold": Decimal("10"), "amount": Decimal("50"), "max_balance": Decimal("100")})
    # when usage drives it below the threshold (the ledger's after-commit signal enqueues the
    # check), and the signal comes again
    entry, _ = ledger_post_one(wallet_id=wallet.pk, posting=Posting(
        kind="usage", amount=Decimal("-15"), currency="USD", idempotency_key="usage:1"))
    wallet_debited.send(sender=Entry, wallet_id=wallet.pk, balance=entry.balance_after.amount)
    # then the worker tops it up, once
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if TopUp.objects.filter(wallet=wallet, status="succeeded").exists():
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.3)
    time.sleep(1)  # the duplicate check must not have charged again
    assert TopUp.objects.filter(wallet=wallet).count() == 1
    assert Entry.objects.filter(wallet=wallet, kind="topup").count() == 1
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("55")
    from wallets.ledger.integrity import ledger_verify

    assert [check for check in ledger_verify() if not check.ok] == []
