"""Celery tasks of the wallets app: thin, take ids, call a service, safe to run twice."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from .integrity import ledger_verify

logger = logging.getLogger(__name__)


@shared_task(name="wallets.tasks.ledger_verify")
def ledger_verify_all() -> dict:
    """Nightly: check every wallet and log each drift loudly for the operators."""
    checks = ledger_verify()
    drifting = [check for check in checks if not check.ok]
    for check in drifting:
        logger.error("ledger drift in wallet %s: %s", check.wallet_id, "; ".join(check.problems))
    return {"wallets": len(checks), "drifting": [check.wallet_id for check in drifting]}


@shared_task(name="wallets.tasks.billing_jobs_run")
def billing_jobs_run_task() -> dict:
    """Every minute: due top-ups, retries, suspension checks and period closes
    (`wallets.jobs`)."""
    from .jobs import billing_jobs_run

    return billing_jobs_run(timezone.now())


@shared_task(name="wallets.tasks.auto_topup_check")
def auto_topup_check_task(wallet_id: int) -> str | None:
    """After a debit: request an auto top-up if one is due (it enqueues its own attempt)."""
    from .payment_models import TopUp
    from .payments_signals import auto_topup_check_gate
    from .topups import topup_request

    cache.delete(auto_topup_check_gate(wallet_id))  # debits from now on may enqueue again
    topup = topup_request(wallet_id=wallet_id, trigger=TopUp.Trigger.AUTO)
    return str(topup.pk) if topup else None


@shared_task(name="wallets.tasks.topup_attempt")
def topup_attempt_task(topup_id: str) -> str:
    """Charge one top-up if it is due; safe to run twice (the gateway keys are the same)."""
    from .topups import topup_attempt

    return topup_attempt(topup_id=topup_id).status


@shared_task(name="wallets.tasks.payment_event_process")
def payment_event_process_task(event_id: str) -> str:
    """Apply one recorded Stripe event; a failure stays on its row for `payment_events_due`."""
    from .payment_events import payment_event_process

    return payment_event_process(event_id=event_id).outcome
