"""Reversing a usage charge: a `reversal` entry that points at the usage entry."""


from django.db import transaction

from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from wallets.ledger.corrections import CorrectionRefused, _agency_id, _label, _reason
from wallets.ledger.locks import wallet_lock
from wallets.ledger.models import Entry
from wallets.ledger.posting import Posting, entries_append
from wallets.usage.models import UsageCharge


class AlreadyReversed(CorrectionRefused):
    code = "already_reversed"


class NotReversible(CorrectionRefused):
    code = "not_reversible"


def usage_reverse(*, entry_id: int, reason: str, actor=None, actor_label: str = "") -> Entry:
    """Give a usage charge back to the wallet: a `reversal` of minus the usage entry."""
    reason = _reason(reason)
    label = _label(actor, actor_label)
    wallet_id = Entry.objects.values_list("wallet_id", flat=True).filter(pk=entry_id).first()
    if wallet_id is None:
        raise InvalidInput(f"No ledger entry {entry_id}.", field="entry")
    with transaction.atomic(durable=True):
        wallet = wallet_lock(wallet_id)
        usage = Entry.objects.get(pk=entry_id)
        if usage.kind != Entry.Kind.USAGE:
            raise NotReversible(f"Entry #{usage.seq} is a {usage.kind} entry; only usage "
                                "charges are reversed.", field="entry")
        key = f"reversal:{usage.pk}"
        if Entry.objects.filter(idempotency_key=key).exists():
            raise AlreadyReversed(f"Usage entry #{usage.seq} was already reversed.",
                                  field="entry")
        charge = UsageCharge.objects.filter(entry=usage).values_list("pk", flat=True).first()
        before = str(wallet.balance.amount)
        entry, _ = entries_append(wallet=wallet, postings=[Posting(
            kind=Entry.Kind.REVERSAL, amount=-usage.amount.amount, currency=wallet.currency,
            idempotency_key=key, reference_type="usage_charge" if charge else "",
            reference_id=str(charge or ""), corrects_id=usage.pk, memo=reason[:255],
            actor_label=label)])[0]
        audit_record(action="usage.reverse", obj=usage, actor=actor, actor_label=label,
                     agency_id=_agency_id(wallet), reason=reason,
                     before={"balance": before},
                     after={"balance": str(wallet.balance.amount),
                            "amount": str(entry.amount.amount), "entry": entry.pk,
                            "usage_charge": str(charge) if charge else None})
    return entry
