"""Operator corrections: money put right with new ledger entries, never by editing one.

Each service posts one entry through `wallets.ledger` and writes the audit row (who, why,
before and after) in the same durable transaction, under the wallet's lock:

| service          | entry kind   | amount                 | idempotency key             |
|------------------|--------------|------------------------|-----------------------------|
| `wallet_credit`  | adjustment   | + credit / − debit     | `adjustment:<token>`        |
| `usage_reverse`  | reversal     | minus the usage entry  | `reversal:<usage entry id>` |
| `topup_refund`   | refund       | − refunded (≤ top-up)  | `refund:<top-up id>`        |

The keys make each correction happen once: a double-submitted form replays (credit) or is
refused with a typed error (reversing or refunding twice). A refund asks the gateway first,
with the same key, outside the transaction: the card is never refunded twice, and a refund
the gateway made is always posted (asking again answers the refund already made).

`topup_retry_now` is the operator's "charge this top-up again now": it makes the top-up due
and runs the attempt at once through `wallets.topups`.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hoopbilling.audit import audit_record
from hoopbilling.errors import DomainError, InvalidInput
from hoopbilling.money import ensure_decimal, fits_amount, to_minor_units
from subaccounts.models import SubAccount

from .gateways import gateway_for
from .ledger import Posting, entries_append
from .locks import wallet_lock
from .models import Entry, UsageCharge, Wallet
from .payment_models import TopUp
from .signals import wallet_debited_after_commit
from .topups import topup_attempt


class CorrectionRefused(DomainError):
    """The correction would break a rule of the ledger (twice, too much, wrong kind)."""

    code = "correction_refused"
    status = 409


class AlreadyReversed(CorrectionRefused):
    code = "already_reversed"


class NotReversible(CorrectionRefused):
    code = "not_reversible"


class AlreadyRefunded(CorrectionRefused):
    code = "already_refunded"


class NotRefundable(CorrectionRefused):
    code = "not_refundable"


class RefundTooLarge(CorrectionRefused):
    code = "refund_too_large"


class NotRetryable(CorrectionRefused):
    code = "not_retryable"


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


def topup_refund(*, topup_id, amount, reason: str, actor=None, actor_label: str = "") -> Entry:
    """Send (part of) a succeeded top-up back to the card through its gateway, once, and post
    the `refund` entry. Never more than the top-up, nor more than the wallet holds."""
    reason, amount = _reason(reason), _amount(amount)
    label = _label(actor, actor_label)
    topup = TopUp.objects.select_related("sub_account__agency", "wallet").get(pk=topup_id)
    key = f"refund:{topup.pk}"
    if topup.status != TopUp.Status.SUCCEEDED or not topup.charge_id:
        raise NotRefundable("Only a succeeded top-up can be refunded.", field="topup")
    if Entry.objects.filter(idempotency_key=key).exists():
        raise AlreadyRefunded("This top-up was already refunded.", field="topup")
    if amount < 0 or to_minor_units(amount) != amount:
        raise InvalidInput("A refund is a positive amount in whole cents.", field="amount")
    if amount > topup.amount.amount:
        raise RefundTooLarge(f"A refund is at most the top-up's {topup.amount}.",
                             field="amount")
    if amount > topup.wallet.balance.amount:
        raise RefundTooLarge(f"The wallet holds {topup.wallet.balance}: refunding more would "
                             "leave the client owing it.", field="amount")
    currency = topup.amount.currency.code
    result = gateway_for(topup.sub_account.agency).refund(
        charge_id=topup.charge_id, amount_minor=int(amount * 100), currency=currency,
        idempotency_key=key)
    with transaction.atomic(durable=True):
        wallet = wallet_lock(topup.wallet_id)
        if Entry.objects.filter(idempotency_key=key).exists():
            raise AlreadyRefunded("This top-up was already refunded.", field="topup")
        before = str(wallet.balance.amount)
        entry, _ = entries_append(wallet=wallet, postings=[Posting(
            kind=Entry.Kind.REFUND, amount=-amount, currency=currency, idempotency_key=key,
            reference_type="topup_refund", reference_id=str(topup.pk),
            corrects_id=topup.entry_id, memo=f"{result.refund_id} {reason}"[:255],
            actor_label=label)])[0]
        audit_record(action="topup.refund", obj=topup, actor=actor, actor_label=label,
                     agency_id=topup.sub_account.agency_id, reason=reason,
                     before={"balance": before},
                     after={"balance": str(wallet.balance.amount), "amount": str(amount),
                            "refund_id": result.refund_id, "refund_status": result.status,
                            "entry": entry.pk})
    return entry


def topup_retry_now(*, topup_id, actor=None, actor_label: str = "") -> TopUp:
    """Charge a declined or failed top-up again now, without waiting for its schedule.

    A failed top-up (retries exhausted) is re-opened, unless another top-up is in flight.
    """
    label = _label(actor, actor_label)
    wallet_id = TopUp.objects.values_list("wallet_id", flat=True).get(pk=topup_id)
    now = timezone.now()
    with transaction.atomic(durable=True):
        wallet_lock(wallet_id)  # lock order: wallet, then top-up (as in wallets.topups)
        topup = (TopUp.objects.select_for_update(of=("self",))
                 .select_related("sub_account").get(pk=topup_id))
        retryable = (TopUp.Status.PENDING, TopUp.Status.RETRYING,
                     TopUp.Status.REQUIRES_ACTION, TopUp.Status.FAILED)
        if topup.status not in retryable:
            raise NotRetryable(f"A {topup.get_status_display().lower()} top-up is not "
                               "retried.", field="topup")
        if (topup.status == TopUp.Status.FAILED and TopUp.objects.filter(
                wallet_id=wallet_id, status__in=TopUp.IN_FLIGHT).exists()):
            raise NotRetryable("Another top-up is in progress for this wallet.",
                               field="topup")
        before = {"status": topup.status, "next_attempt_at": _iso(topup.next_attempt_at)}
        if topup.status == TopUp.Status.FAILED:
            topup.status = TopUp.Status.RETRYING
        topup.next_attempt_at = now
        topup.save(update_fields=["status", "next_attempt_at", "updated_at"])
        audit_record(action="topup.retry_now", obj=topup, actor=actor, actor_label=label,
                     agency_id=topup.sub_account.agency_id, before=before,
                     after={"status": topup.status, "next_attempt_at": now.isoformat()})
    return topup_attempt(topup_id=topup_id, now=now)


def _agency_id(wallet: Wallet):
    return SubAccount.objects.values_list("agency_id", flat=True).get(pk=wallet.sub_account_id)


def _iso(moment):
    return moment.isoformat() if moment else None
