"""A real Celery worker killed (SIGKILL) while the receiver holds its request loses nothing:
the attempt was recorded before the request, the lease keeps the delivery from being sent
twice at once, and once the lease has passed the billing job delivers it with the same id."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from hoopbilling.celery import app as celery_app
from tests.wallets.payments.test_topups_celery import BROKER, ROOT, _reset_producers
from tests.wallets.webhooks.signing import signed_by
from wallets.ledger.corrections import wallet_credit_grant
from wallets.webhooks.delivery import ATTEMPT_LEASE, webhook_deliveries_due
from wallets.webhooks.models import WebhookAttempt, WebhookDelivery


@pytest.fixture
def worker(monkeypatch):
    settings_dict = connection.settings_dict
    database_url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
                    f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")
    env = {**os.environ, "CELERY_BROKER_URL": BROKER, "DATABASE_URL": database_url,
           "DATABASE_CONN_MAX_AGE": "0", "WEBHOOK_ALLOW_PRIVATE_URLS": "1"}
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    if celery_app.conf.broker_url != BROKER:
        monkeypatch.setenv("CELERY_BROKER_URL", BROKER)
        celery_app.conf.broker_url = BROKER
        _reset_producers()
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hoopbilling", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "-n", "webhooks-test@%h", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)
        if celery_app.conf.broker_url != previous[0]:
            celery_app.conf.broker_url = previous[0]
            _reset_producers()
        celery_app.conf.task_always_eager = previous[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(receiver, endpoint, worker):
    # given a receiver that holds every request open until told
    receiver.hold = threading.Event()
    # when a credit commits, the worker takes its delivery and is killed mid-request
    wallet_credit_grant(sub_account=endpoint.client, amount="5", reason="Goodwill")
    assert receiver.received.wait(60), worker.stdout.read().decode()
    delivery = WebhookDelivery.objects.get()
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.number == 1 and attempt.finished_at is None  # recorded before the request
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=20)
    receiver.hold.set()
    receiver.hold = None
    # then while the lease runs nobody takes it again
    now = timezone.now()
    assert webhook_deliveries_due(now) == {"webhooks_succeeded": 0, "webhooks_retrying": 0}
    # and once it has passed, the billing job delivers it with the same id
    time.sleep(0.1)
    counts = webhook_deliveries_due(now + ATTEMPT_LEASE + timedelta(seconds=1))
    assert counts["webhooks_succeeded"] == 1
    first, second = receiver.events()
    assert first["id"] == second["id"] and first["type"] == "credit.granted"
    assert signed_by(receiver.requests[1], endpoint.raw_secret)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert attempts[0].status_code is None and "worker stopped" in attempts[0].error
    assert attempts[1].status_code == 200
