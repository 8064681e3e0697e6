"""Payment tasks: thin, take ids, call a service, safe to run twice. Services never import
them: they send `signals`, and `receivers` enqueues these after the commit. The names are
the ones messages in flight carry (`wallets.tasks.*`)."""

from celery import shared_task
from django.core.cache import cache

from wallets.payments.autotopup import auto_topup_check_gate
from wallets.payments.models import TopUp
from wallets.payments.stripe_events import payment_event_process
from wallets.payments.topups import topup_attempt, topup_request


@shared_task(name="wallets.tasks.auto_topup_check")
def auto_topup_check_task(wallet_id: int) -> str | None:
    """After a debit: request an auto top-up if one is due (it enqueues its own attempt)."""
    cache.delete(auto_topup_check_gate(wallet_id))  # debits from now on may enqueue again
    topup = topup_request(wallet_id=wallet_id, trigger=TopUp.Trigger.AUTO)
    return str(topup.pk) if topup else None


@shared_task(name="wallets.tasks.topup_attempt")
def topup_attempt_task(topup_id: str) -> str:
    """Charge one top-up if it is due; safe to run twice (the gateway keys are the same)."""
    return topup_attempt(topup_id=topup_id).status


@shared_task(name="wallets.tasks.payment_event_process")
def payment_event_process_task(event_id: str) -> str:
    """Apply one recorded Stripe event; a failure stays on its row for `payment_events_due`."""
    return payment_event_process(event_id=event_id).outcome
