"""Wallet services other than posting (which lives in `wallets.ledger`)."""

from django.db import transaction
from moneyed import Money

from subaccounts.models import SubAccount
from wallets.ledger.models import Wallet


@transaction.atomic
def wallet_open(*, sub_account: SubAccount) -> Wallet:
    """A new client's wallet: balance 0 in the agency's currency, auto top-up off."""
    currency = sub_account.agency.currency
    wallet = Wallet(
        sub_account=sub_account, balance=Money(0, currency),
        auto_topup_threshold=Money(0, currency), auto_topup_amount=Money(0, currency),
    )
    wallet.full_clean()
    wallet.save()
    return wallet
