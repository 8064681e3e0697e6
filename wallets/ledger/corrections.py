"""An operator's credit or debit: an `adjustment` entry, never an edit."""

from decimal import Decimal

from django.db import transaction

from hoopbilling.audit import audit_record
from hoopbilling.errors import DomainError, InvalidInput
from hoopbilling.money import ensure_decimal, fits_amount
from subaccounts.models import SubAccount
from wallets.ledger.locks import wallet_lock
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting, entries_append
from wallets.ledger.signals import wallet_debited_after_commit


class CorrectionRefused(DomainError):
    """The correction would break a rule of the ledger (twice, too much, wrong kind)."""

    code = "correction_refused"
    status = 409


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why: a correction needs a reason.", field="reason")
    return reason


def _amount(value, *, field: str = "amount") -> Decimal:
    try:
        amount = ensure_decimal(value, field=field)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an amount.", field=field) from exc
    if amount == 0 or not fits_amount(amount):
        raise InvalidInput("Use a non-zero amount with at most 6 decimal places.", field=field)
    return amount


def _label(actor, actor_label: str) -> str:
    return actor_label or getattr(actor, "email", "") or getattr(actor, "username", "") or ""


def wallet_credit(*, wallet_id: int, amount, reason: str, token: str, actor=None,
                  actor_label: str = "") -> Entry:
    """Credit (positive `amount`) or debit (negative) a wallet by hand: an `adjustment`.

    `token` identifies the operator's request (one per form): submitting it twice posts once.
    """
    reason, amount = _reason(reason), _amount(amount)
    if not token:
        raise InvalidInput("A correction needs a request token.", field="token")
    label = _label(actor, actor_label)
    with transaction.atomic(durable=True):
        wallet = wallet_lock(wallet_id)
        before = str(wallet.balance.amount)
        entry, replayed = entries_append(wallet=wallet, postings=[Posting(
            kind=Entry.Kind.ADJUSTMENT, amount=amount, currency=wallet.currency,
            idempotency_key=f"adjustment:{token}", reference_type="operator",
            memo=reason[:255], actor_label=label)])[0]
        if not replayed:
            audit_record(action="wallet.adjust", obj=wallet, actor=actor, actor_label=label,
                         agency_id=_agency_id(wallet), reason=reason,
                         before={"balance": before},
                         after={"balance": str(wallet.balance.amount), "amount": str(amount),
                                "entry": entry.pk})
            if amount < 0:
                # As after usage: the auto top-up check (or the low-balance warning) now, not
                # at the next minute's sweep.
                wallet_debited_after_commit(sender=Entry, wallet=wallet)
    return entry


def _agency_id(wallet: Wallet):
    return SubAccount.objects.values_list("agency_id", flat=True).get(pk=wallet.sub_account_id)


def _iso(moment):
    return moment.isoformat() if moment else None
