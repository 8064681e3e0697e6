"""Reversing a usage charge: a `reversal` entry that points at the usage entry."""

from hoopbilling.errors import InvalidInput
from wallets.ledger.corrections import CorrectionRefused, correction_reason, operator_label
from wallets.ledger.models import Entry
from wallets.ledger.posting import Posting
from wallets.ledger.services import Audit, ledger_transaction
from wallets.usage.models import UsageCharge


class AlreadyReversed(CorrectionRefused):
    code = "already_reversed"


class NotReversible(CorrectionRefused):
    code = "not_reversible"


def usage_reverse(*, entry_id: int, reason: str, actor=None, actor_label: str = "") -> Entry:
    """Give a usage charge back to the wallet: a `reversal` of minus the usage entry, once."""
    reason = correction_reason(reason)
    label = operator_label(actor, actor_label)
    wallet_id = Entry.objects.values_list("wallet_id", flat=True).filter(pk=entry_id).first()
    if wallet_id is None:
        raise InvalidInput(f"No ledger entry {entry_id}.", field="entry")
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        usage = Entry.objects.get(pk=entry_id)
        if usage.kind != Entry.Kind.USAGE:
            raise NotReversible(f"Entry #{usage.seq} is a {usage.kind} entry; only usage "
                                "charges are reversed.", field="entry")
        key = f"reversal:{usage.pk}"
        if Entry.objects.filter(idempotency_key=key).exists():
            raise AlreadyReversed(f"Usage entry #{usage.seq} was already reversed.",
                                  field="entry")
        charge = UsageCharge.objects.filter(entry=usage).values_list("pk", flat=True).first()
        amount = -usage.amount.amount
        entry, _ = ledger.post_one(wallet_id, Posting(
            kind=Entry.Kind.REVERSAL, amount=amount, currency=ledger.wallets[wallet_id].currency,
            idempotency_key=key, reference_type="usage_charge" if charge else "",
            reference_id=str(charge or ""), corrects_id=usage.pk, memo=reason[:255],
            actor_label=label), audit=Audit(
            action="usage.reverse", obj=usage, reason=reason, actor=actor, actor_label=label,
            after={"amount": str(amount),
                   "usage_charge": str(charge) if charge else None}))
    return entry
