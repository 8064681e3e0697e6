"""The work payments' services ask for through `payments.signals`: each task is enqueued by
`payments.receivers` once the transaction commits (never before), under the name messages in
flight carry."""

from decimal import Decimal

import pytest

import wallets.tasks  # noqa: F401  (what Celery's autodiscovery imports)
from hoopbilling.celery import app as celery_app
from tests.factories import wallet_with_card
from wallets.payments import tasks
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.stripe_events import payment_event_receive
from wallets.payments.topups import topup_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Tasks enqueued, as (task name, argument), instead of sent to the broker."""
    sent = []
    for task in (tasks.topup_attempt_task, tasks.auto_topup_check_task,
                 tasks.payment_event_process_task):
        monkeypatch.setattr(task, "delay",
                            lambda argument, name=task.name: sent.append((name, argument)))
    return sent


def test_each_service_enqueues_its_task_once_the_transaction_commits(
        queued, django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="5")
    with django_capture_on_commit_callbacks() as on_commit:
        topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount="20.00")
        payment_event_receive(event_id="evt_1", type="payment_intent.succeeded")
        payment_event_receive(event_id="evt_1", type="payment_intent.succeeded")  # again
    assert queued == []  # nothing before the commit
    for callback in on_commit:
        callback()
    assert queued == [("wallets.tasks.topup_attempt", str(topup.pk)),
                      ("wallets.tasks.payment_event_process", "evt_1")]


def test_auto_top_up_turned_on_below_the_threshold_is_checked_after_the_commit(
        queued, django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="5")
    with django_capture_on_commit_callbacks(execute=True):
        wallet_settings_set(wallet=wallet, enabled=True, threshold=Decimal("10"),
                            amount=Decimal("50"))
    assert queued == [("wallets.tasks.auto_topup_check", wallet.pk)]


def test_the_task_names_are_the_ones_in_flight_and_in_the_beat_schedule():
    assert {"wallets.tasks.auto_topup_check", "wallets.tasks.topup_attempt",
            "wallets.tasks.payment_event_process", "wallets.tasks.billing_jobs_run",
            "wallets.tasks.ledger_verify"} <= set(celery_app.tasks)
    assert {entry["task"] for entry in celery_app.conf.beat_schedule.values()} == {
        "wallets.tasks.ledger_verify", "wallets.tasks.billing_jobs_run"}
