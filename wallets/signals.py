"""Signals the wallets app sends, so features (top-ups, roll-ups) hook in without the
usage path importing them."""

from django.dispatch import Signal

# Sent inside the transaction that recorded usage; kwargs: charges (list of UsageCharge).
# Receivers write in the same transaction (e.g. daily roll-ups) and must be fast.
usage_recorded = Signal()

# Sent after the commit of a debit; kwargs: wallet_id, balance (Decimal, after the debit).
# The auto top-up listens here.
wallet_debited = Signal()
