"""The signal the usage path sends inside its transaction, so roll-ups hook in without
the usage path importing them."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.dispatch import Signal

# Sent inside the transaction that recorded usage; kwargs: charges (list of UsageFacts).
# Receivers write in the same transaction (e.g. daily roll-ups) and must be fast: it runs
# under the wallet locks.
usage_recorded = Signal()


@dataclass(frozen=True, slots=True)
class UsageFacts:
    """One recorded charge as `usage_recorded` tells it (plain values: the usage path builds
    no model for its receivers). `reached_ledger_at` is when the usage reached the ledger:
    its entry's time, or the charge's when no entry was posted."""

    agency_id: object
    sub_account_id: object
    item_id: str
    billed_to: str
    quantity: Decimal
    amount: Decimal
    base_cost_amount: Decimal
    reached_ledger_at: datetime

    @classmethod
    def of(cls, charge) -> "UsageFacts":
        return cls(agency_id=charge.agency_id, sub_account_id=charge.sub_account_id,
                   item_id=charge.item_id, billed_to=charge.billed_to, quantity=charge.quantity,
                   amount=charge.amount.amount,
                   base_cost_amount=charge.base_cost_amount.amount,
                   reached_ledger_at=(charge.entry.created_at if charge.entry_id is not None
                                      else charge.created_at))
