"""Alerts' receivers: after usage is committed, and after a debit left a wallet below its
threshold, the clients' alerts are evaluated by a Celery task (`alerts_check_task`), never in
the request.

The usage path pays for this only when its agency has alert settings (`agency_has_alerts`,
from this process's memory): then one cache `add` per client, the gate that lets at most one
check per client wait in the queue (the task opens it when it starts, like the auto top-up
check's). A debit below the threshold of a wallet whose auto top-up is off is checked for
every agency: the threshold is then the client's default level. An enqueue lost to a broker
that is down waits for the billing jobs' sweep (`firing.alerts_due`)."""

from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver

from hoopbilling.outages import task_enqueue
from wallets.alerts.selectors import agency_has_alerts
from wallets.alerts.tasks import alerts_check_gate, alerts_check_task
from wallets.ledger.models import Wallet
from wallets.ledger.signals import wallet_debited
from wallets.usage.models import UsageCharge
from wallets.usage.signals import usage_recorded

# Seconds a gate stays closed should its check be lost (the sweep runs every minute).
ALERTS_CHECK_GATE = 60


def alerts_check_enqueue(sub_account_ids) -> None:
    due = [str(pk) for pk in sorted(sub_account_ids, key=str)
           if cache.add(alerts_check_gate(pk), True, timeout=ALERTS_CHECK_GATE)]
    if due:
        task_enqueue(alerts_check_task, due)


@receiver(usage_recorded, dispatch_uid="wallets.alerts.usage")
def alerts_after_usage(sender, charges, **kwargs):
    """Inside the usage transaction (under the wallet locks): only note who was charged."""
    charged = {(c.agency_id, c.sub_account_id) for c in charges
               if c.billed_to == UsageCharge.BilledTo.WALLET and c.amount > 0}
    if charged:
        transaction.on_commit(lambda: alerts_check_enqueue(
            [sub_id for agency_id, sub_id in charged if agency_has_alerts(agency_id)]),
            robust=True)


@receiver(wallet_debited, dispatch_uid="wallets.alerts.debit")
def alerts_after_debit(sender, wallet_id, balance, wallet=None, **kwargs):
    """After the commit of a debit below the threshold."""
    if wallet is None:
        wallet = Wallet.objects.filter(pk=wallet_id).first()
    if wallet is not None and not wallet.auto_topup_enabled:
        alerts_check_enqueue([wallet.sub_account_id])
