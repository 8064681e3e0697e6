"""Signals the wallets app sends, so features (top-ups, roll-ups) hook in without the
usage path importing them."""

from django.dispatch import Signal

# Sent inside the transaction that recorded usage; kwargs: charges (list of UsageCharge).
# Receivers write in the same transaction (e.g. daily roll-ups) and must be fast.
usage_recorded = Signal()

# Sent after the commit of a debit that left the balance below the wallet's auto top-up
# threshold (the only debits anyone needs to hear of); kwargs: wallet_id, balance (Decimal,
# after the debit) and, when the sender has it, wallet (the instance it locked, which spares
# receivers a query). The auto top-up and the low-balance warning listen here.
wallet_debited = Signal()
