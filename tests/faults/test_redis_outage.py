"""Redis dies under the live server and a Celery worker with beat: usage is still recorded and
answered (rate limits and follow-ups fail open), and the worker, holding a top-up when Redis
went away, survives, settles it once Redis is back, and catches up on the follow-ups that
could not be enqueued."""

import time
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from hoopbilling.celery import app as celery_app
from tests.factories import wallet_with_card
from tests.faults.conftest import http
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry
from wallets.payments.models import TopUp
from wallets.payments.tasks import topup_attempt_task
from wallets.payments.topups import topup_request
from wallets.usage.models import UsageCharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for(condition, worker, what: str, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, f"the worker died:\n{worker.log.read_text()}"
        assert time.monotonic() < deadline, f"{what}:\n{worker.log.read_text()}"
        time.sleep(0.3)


def wallet_row_locked():
    """A connection of its own holding the lock a top-up attempt needs on its wallet."""
    settings_dict = connection.settings_dict
    return psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432,
                           user=settings_dict["USER"], dbname=settings_dict["NAME"])


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def test_redis_killed_mid_burst_answers_every_event_and_the_worker_settles_the_held_topup(
        celery_worker, redis_everywhere, live_server, key):
    # given a busy client whose balance crosses its auto top-up threshold at its 13th event
    # (0.0079 an SMS), and a second client whose manual top-up the worker is charging when
    # Redis dies (held on its wallet's row lock)
    agency = key.agency
    busy = wallet_with_card(balance="1.00", agency=agency, auto={
        "threshold": Decimal("0.90"), "amount": Decimal("20"), "max_balance": None})
    held = wallet_with_card(balance="0", agency=agency)
    topup = topup_request(wallet_id=held.pk, trigger="manual", amount="25.00", enqueue=False)
    locker = wallet_row_locked()
    try:
        locker.execute("SELECT id FROM wallets_wallet WHERE id = %s FOR UPDATE", [held.pk])
        topup_attempt_task.delay(str(topup.pk))
        wait_for(lambda: lock_waiters() > 0, celery_worker,
                 "the worker never started the top-up's attempt")

        # when Redis is killed after 10 events of a burst of 40, and started again after it
        answers = []
        for number in range(40):
            if number == 10:
                redis_everywhere.kill()
            status, _, body = http("POST", f"{live_server.url}/api/v1/usage", key=key.raw_key,
                                   body={"sub_account": str(busy.sub_account_id),
                                         "item": "sms_outbound", "quantity": "1",
                                         "idempotency_key": f"burst-{number}"})
            answers.append((f"burst-{number}", status, body))
        redis_everywhere.start()
        locker.commit()  # the held attempt goes on
    finally:
        locker.close()

    # then every event was answered 201 and charged exactly once; nothing else was charged
    assert [status for _, status, _ in answers] == [201] * 40, answers
    charged = set(UsageCharge.objects.filter(sub_account_id=busy.sub_account_id)
                  .values_list("idempotency_key", flat=True))
    assert charged == {key_ for key_, _, _ in answers}
    assert Entry.objects.filter(wallet=busy, kind="usage").count() == 40

    # and the worker, alive, settled the top-up it held when Redis died
    wait_for(lambda: TopUp.objects.get(pk=topup.pk).status == TopUp.Status.SUCCEEDED,
             celery_worker, "the held top-up was never settled")
    held.refresh_from_db()
    assert held.balance.amount == Decimal("25.00")

    # and it takes new work: the billing jobs catch up on the auto top-up whose check could
    # not be enqueued while Redis was down
    celery_app.send_task("wallets.tasks.billing_jobs_run")
    wait_for(lambda: TopUp.objects.filter(wallet=busy, trigger="auto",
                                          status=TopUp.Status.SUCCEEDED).exists(),
             celery_worker, "the busy client's auto top-up never came")
    assert TopUp.objects.filter(wallet=busy).count() == 1
    assert celery_worker.poll() is None
    assert b"Unrecoverable error" not in celery_worker.log.read_bytes()
    assert [check for check in ledger_verify() if not check.ok] == []
