"""Reactions of the wallets app to events of the apps below it."""

from django.dispatch import receiver

from subaccounts.signals import subaccount_created

from .services import wallet_open
from .signals import wallet_debited


@receiver(subaccount_created)
def open_wallet_for_new_subaccount(sender, sub_account, **kwargs):
    wallet_open(sub_account=sub_account)


@receiver(wallet_debited)
def check_auto_topup_after_debit(sender, wallet_id, balance, wallet=None, **kwargs):
    """Sent after commit: enqueue the auto top-up check, or warn the client admin of a low
    balance when auto top-up is off."""
    from .payments_signals import debit_followup

    debit_followup(wallet_id=wallet_id, balance=balance, wallet=wallet)
