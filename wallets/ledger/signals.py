"""The signals the ledger sends so payments hook in without the ledger importing them: after a
debit leaves a wallet below its auto top-up threshold, and when a debit takes a wallet past
its credit limit (is a top-up being charged?)."""

from django.db import transaction
from django.dispatch import Signal

# Sent after the commit of a debit that left the balance below the wallet's auto top-up
# threshold (the only debits anyone needs to hear of); kwargs: wallet_id, balance (Decimal,
# after the debit) and, when the sender has it, wallet (the instance it locked, which spares
# receivers a query). The auto top-up and the low-balance warning listen here.
wallet_debited = Signal()


def wallet_debited_after_commit(*, sender, wallet) -> None:
    """Send `wallet_debited` once the current transaction commits, if the debit just posted
    left `wallet` (the instance locked for it, with its new balance) below its threshold."""
    balance = wallet.balance.amount
    if balance < wallet.auto_topup_threshold.amount:
        # Robust: the debit is committed whatever its follow-up does; a failure is logged
        # (django.db.backends) and never reaches the request nor skips other callbacks.
        transaction.on_commit(lambda: wallet_debited.send(
            sender=sender, wallet_id=wallet.pk, balance=balance, wallet=wallet), robust=True)


# Sent inside the transaction, under the wallet lock, when a debit leaves a rebilled client's
# wallet below its credit limit (`wallets.ledger.credit`): a receiver answers True when a
# top-up is being charged for the wallet at that moment (pending or processing), which defers
# the suspension; kwargs: wallet_id. Payments answers it.
topup_in_progress = Signal()

# Sent inside the transaction of the agency's credit to a client (`corrections.
# wallet_credit_grant`), only when it posted (not for a replayed idempotency key); kwargs:
# sub_account, entry (the credit), reason, balance (Decimal, the wallet's after it). The
# outbound webhooks write `credit.granted` here.
credit_granted = Signal()
