"""An operator's credit or debit (an `adjustment` entry, never an edit), the agency's credit
to a client (a `credit` entry: the agency's own money, shown apart from paid top-ups), and
what every correction checks first: a reason, an amount, who asked. The corrections of usage
and of top-ups live with them (`wallets.usage.corrections`, `wallets.payments.corrections`)."""

import uuid
from decimal import Decimal

from agencies.idempotency import action_key_claim, action_key_clean
from hoopbilling.errors import DomainError, InvalidInput
from hoopbilling.money import AMOUNT_MAX, CENT, bounded_decimal, ensure_decimal
from subaccounts.models import SubAccount
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting
from wallets.ledger.services import Audit, ledger_transaction
from wallets.ledger.signals import credit_granted


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


def wallet_credit_grant(*, sub_account: SubAccount, amount, reason: str,
                        idempotency_key: str = "", actor=None,
                        actor_label: str = "") -> tuple[Entry, bool]:
    """The agency gives its client money (goodwill, a promotion): a `credit` entry of
    `amount` (whole cents, 0.01 to AMOUNT_MAX: it is shown on invoices in cents), audited as
    `wallet.credit` with the reason. Returns (entry, replayed).

    `idempotency_key` (the agency's, `agencies.idempotency`): the same key and request answer
    the first entry and post nothing; the entry's own key is `credit:<the key's row>`, so two
    requests racing with one key post once. Without a key each call is a new credit.
    """
    reason = correction_reason(reason)
    try:
        value = ensure_decimal(amount, field="amount")
    except ValueError as exc:
        raise InvalidInput(f"{amount!r} is not an amount.", field="amount") from exc
    value = bounded_decimal(value, field="amount", maximum=AMOUNT_MAX, minimum=CENT, places=2,
                            what="A credit")
    key = action_key_clean(idempotency_key)
    label = operator_label(actor, actor_label)
    if key:
        row, _ = action_key_claim(agency=sub_account.agency, key=key, action="credit",
                                  request={"sub_account": str(sub_account.pk),
                                           "amount": str(value), "reason": reason})
        entry_key = f"credit:{row.pk}"
    else:
        entry_key = f"credit:{uuid.uuid4()}"
    wallet_id = Wallet.objects.values_list("pk", flat=True).get(sub_account=sub_account)
    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        wallet = ledger.wallets[wallet_id]
        entry, replayed = ledger.post_one(wallet_id, Posting(
            kind=Entry.Kind.CREDIT, amount=value, currency=wallet.currency,
            idempotency_key=entry_key, reference_type="agency_credit",
            reference_id=str(sub_account.pk), memo=reason[:255], actor_label=label),
            audit=Audit(action="wallet.credit", obj=wallet, reason=reason, actor=actor,
                        actor_label=label, after={"amount": str(value)}))
        if not replayed:
            credit_granted.send(sender=Entry, sub_account=sub_account, entry=entry,
                                reason=reason, balance=wallet.balance.amount)
        return entry, replayed
