"""Payments' receivers: what it does when the ledger debits a wallet below its threshold or asks
whether a top-up is being charged, when a client is stopped at its credit limit or lifted, when
Stripe sends an event (through dj-stripe), and, once the transaction commits, the Celery task
each of its own `signals` asks for.

Each task is enqueued with `task_enqueue` in a robust on-commit callback: a broker that is down
(or a callback that fails) never turns the committed request into an error nor skips the
other callbacks; the billing jobs find the work from rows at their next run."""

from django.db import transaction
from django.dispatch import receiver
from djstripe.event_handlers import djstripe_receiver

from hoopbilling.outages import task_enqueue
from subaccounts.models import SuspensionReason
from subaccounts.signals import subaccount_lifted, subaccount_suspended
from wallets.ledger.signals import topup_in_progress, wallet_debited
from wallets.payments.autotopup import debit_followup
from wallets.payments.credit import (
    credit_limit_lifted_notify,
    credit_limit_suspended_notify,
    topup_being_charged,
)
from wallets.payments.signals import payment_event_recorded, topup_due, wallet_below_threshold
from wallets.payments.stripe_events import HANDLED_EVENTS, payment_event_receive
from wallets.payments.tasks import (
    auto_topup_check_task,
    payment_event_process_task,
    topup_attempt_task,
)


@receiver(wallet_debited)
def check_auto_topup_after_debit(sender, wallet_id, balance, wallet=None, **kwargs):
    """Sent after commit: the auto top-up check (`wallets.alerts` has its own receiver for
    the low-balance warning)."""
    debit_followup(wallet_id=wallet_id, balance=balance, wallet=wallet)


@receiver(topup_in_progress)
def answer_topup_in_progress(sender, wallet_id, **kwargs) -> bool:
    """The ledger asks, under the wallet lock, before stopping a client at its credit limit."""
    return topup_being_charged(wallet_id=wallet_id)


@receiver(subaccount_suspended)
def alert_credit_limit_suspension(sender, sub_account, **kwargs):
    if sub_account.suspension_reason == SuspensionReason.CREDIT_LIMIT:
        credit_limit_suspended_notify(sub_account=sub_account)


@receiver(subaccount_lifted)
def alert_credit_limit_lift(sender, sub_account, reason, suspended_at=None, **kwargs):
    if reason == SuspensionReason.CREDIT_LIMIT:
        credit_limit_lifted_notify(sub_account=sub_account, suspended_at=suspended_at)


@djstripe_receiver(HANDLED_EVENTS)
def stripe_event_record(sender, event, **kwargs):
    """A verified Stripe event, sent once per id inside dj-stripe's transaction: record it;
    it is applied after the commit (see `stripe_events`)."""
    payment_event_receive(event_id=event.id, type=event.type)


@receiver(topup_due)
def attempt_after_commit(sender, topup_id, **kwargs):
    transaction.on_commit(lambda: task_enqueue(topup_attempt_task, str(topup_id)), robust=True)


@receiver(wallet_below_threshold)
def auto_topup_check_after_commit(sender, wallet_id, **kwargs):
    transaction.on_commit(lambda: task_enqueue(auto_topup_check_task, wallet_id), robust=True)


@receiver(payment_event_recorded)
def payment_event_process_after_commit(sender, event_id, **kwargs):
    transaction.on_commit(lambda: task_enqueue(payment_event_process_task, event_id),
                          robust=True)
