"""Payments' reaction to a debit below the threshold: the auto top-up check or a
low-balance warning."""

from django.dispatch import receiver

from wallets.ledger.signals import wallet_debited


@receiver(wallet_debited)
def check_auto_topup_after_debit(sender, wallet_id, balance, wallet=None, **kwargs):
    """Sent after commit: enqueue the auto top-up check, or warn the client admin of a low
    balance when auto top-up is off."""
    from wallets.payments.autotopup import debit_followup

    debit_followup(wallet_id=wallet_id, balance=balance, wallet=wallet)
