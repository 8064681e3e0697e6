"""An operator's credit or debit (an `adjustment` entry, never an edit), and what every
correction checks first: a reason, an amount, who asked. The corrections of usage and of
top-ups live with them (`wallets.usage.corrections`, `wallets.payments.corrections`)."""

from decimal import Decimal

from hoopbilling.errors import DomainError, InvalidInput
from hoopbilling.money import AMOUNT_MAX, bounded_decimal, ensure_decimal
from wallets.ledger.models import Entry
from wallets.ledger.posting import Posting
from wallets.ledger.services import Audit, ledger_transaction


class CorrectionRefused(DomainError):
    """The correction would break a rule of the ledger (twice, too much, wrong kind)."""

    code = "correction_refused"
    status = 409


def correction_reason(reason: str) -> str:
    """The operator's reason, required."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why: a correction needs a reason.", field="reason")
    return reason


def correction_amount(value, *, field: str = "amount") -> Decimal:
    """A non-zero amount of at most 6 places, within ±AMOUNT_MAX (floats are refused:
    `ensure_decimal`)."""
    try:
        amount = ensure_decimal(value, field=field)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an amount.", field=field) from exc
    amount = bounded_decimal(amount, field=field, maximum=AMOUNT_MAX, minimum=-AMOUNT_MAX)
    if amount == 0:
        raise InvalidInput("Use a non-zero amount.", field=field)
    return amount


def operator_label(actor, actor_label: str) -> str:
    """Who asked, as the entry and the audit row name them."""
    return actor_label or getattr(actor, "email", "") or getattr(actor, "username", "") or ""


def wallet_credit(*, wallet_id: int, amount, reason: str, token: str, actor=None,
                  actor_label: str = "") -> Entry:
    """Credit (positive `amount`) or debit (negative) a wallet by hand: an `adjustment`.

    `token` identifies the operator's request (one per form): submitting it twice posts once.
    A debit is followed up at once, as usage is (the auto top-up check or the low-balance
    warning), not at the next minute's sweep.
    """
    reason, amount = correction_reason(reason), correction_amount(amount)
    if not token:
        raise InvalidInput("A correction needs a request token.", field="token")
    label = operator_label(actor, actor_label)
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        wallet = ledger.wallets[wallet_id]
        entry, _ = ledger.post_one(wallet_id, Posting(
            kind=Entry.Kind.ADJUSTMENT, amount=amount, currency=wallet.currency,
            idempotency_key=f"adjustment:{token}", reference_type="operator",
            memo=reason[:255], actor_label=label), audit=Audit(
            action="wallet.adjust", obj=wallet, reason=reason, actor=actor, actor_label=label,
            after={"amount": str(amount)}))
    return entry
