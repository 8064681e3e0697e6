"""Reactions of the wallets app to events of the apps below it."""

from django.dispatch import receiver

from subaccounts.signals import subaccount_created

from .services import wallet_open


@receiver(subaccount_created)
def open_wallet_for_new_subaccount(sender, sub_account, **kwargs):
    wallet_open(sub_account=sub_account)
