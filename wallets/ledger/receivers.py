"""The ledger's reaction to a new sub-account: its wallet, in the same transaction."""

from django.dispatch import receiver

from subaccounts.signals import subaccount_created
from wallets.ledger.services import wallet_open


@receiver(subaccount_created)
def open_wallet_for_new_subaccount(sender, sub_account, **kwargs):
    wallet_open(sub_account=sub_account)
