"""What happens after a debit (the `wallet_debited` signal): the auto top-up check, or a
low-balance email to the client admins when auto top-up is off."""

from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from wallets.ledger.models import Wallet
from wallets.payments.models import Notification
from wallets.payments.notifications import notification_send
from wallets.payments.signals import wallet_below_threshold

# A wallet below its threshold is debited again and again until its top-up lands: at most one
# check per wallet waits in the queue (the task opens the gate when it starts). Should a check
# be lost, the gate closes by itself after this many seconds, and billing_jobs_run's sweep
# every minute catches the wallet meanwhile.
AUTO_TOPUP_CHECK_GATE = 60


def auto_topup_check_gate(wallet_id: int) -> str:
    return f"auto_topup_check:{wallet_id}"


def debit_followup(*, wallet_id: int, balance: Decimal, wallet: Wallet | None = None) -> None:
    if wallet is None:
        wallet = Wallet.objects.filter(pk=wallet_id).first()
    if wallet is None or balance >= wallet.auto_topup_threshold.amount:
        return
    if wallet.auto_topup_enabled:
        if cache.add(auto_topup_check_gate(wallet_id), True, timeout=AUTO_TOPUP_CHECK_GATE):
            wallet_below_threshold.send(sender=Wallet, wallet_id=wallet_id)
        return
    dedupe_key = f"low_balance:{wallet_id}:{timezone.now():%Y-%m-%d}"
    # The notification's own dedupe key is the guarantee; the cache spares the database a
    # lookup on every debit of a wallet that stays low all day.
    if not cache.add(dedupe_key, True, timeout=24 * 3600):
        return
    sub_account = wallet.sub_account
    with transaction.atomic():
        # Once a day at most, so a busy client is warned, not flooded.
        notification_send(
            agency=sub_account.agency, sub_account=sub_account,
            kind=Notification.Kind.LOW_BALANCE,
            message=(f"{sub_account.name}'s balance is {balance} {wallet.currency}, below "
                     f"{wallet.auto_topup_threshold.amount}. Auto top-up is off: add funds "
                     "to keep services running."),
            dedupe_key=dedupe_key,
            email_agency=False, email_client=True)
