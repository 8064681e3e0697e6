"""Corrections of top-ups, by an operator or the agency: refunds (partial and repeatable,
through the gateway, then a `refund` entry) and "retry now"."""

import logging
import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from moneyed import Money

from agencies.idempotency import action_key_claim, action_key_clean
from hoopbilling.audit import audit_record
from hoopbilling.errors import DomainError, InvalidInput, NotFound
from hoopbilling.money import to_minor_units
from wallets.ledger.corrections import (
    CorrectionRefused,
    correction_amount,
    correction_reason,
    operator_label,
)
from wallets.ledger.models import Entry
from wallets.ledger.posting import Posting
from wallets.ledger.services import Audit, ledger_transaction
from wallets.payments.gateways import RefundFailed, gateway_for
from wallets.payments.models import TopUp, TopUpRefund
from wallets.payments.topups import topup_attempt

logger = logging.getLogger(__name__)

class AlreadyRefunded(CorrectionRefused):
    code = "already_refunded"


class NotRefundable(CorrectionRefused):
    code = "not_refundable"


class RefundTooLarge(CorrectionRefused):
    code = "refund_too_large"


class NotRetryable(CorrectionRefused):
    code = "not_retryable"


class RefundPending(DomainError):
    """The gateway did not answer a refund: it may or may not have made it. The refund stays
    reserved (pending) until the same request, with the same idempotency key, finishes it."""

    code = "refund_pending"
    status = 503


# What "retry now" charges again: a top-up waiting for its next attempt, or one whose
# retries ran out.
RETRYABLE = (TopUp.Status.PENDING, TopUp.Status.RETRYING, TopUp.Status.REQUIRES_ACTION,
             TopUp.Status.FAILED)


def topup_refund(*, topup_id, reason: str, amount=None, idempotency_key: str = "",
                 sub_account=None, actor=None, actor_label: str = "") -> TopUpRefund:
    """Send part or all (`amount` None: what is left) of a succeeded card top-up back to the
    card through its gateway and debit the wallet with a `refund` entry. Refunds may repeat
    until the charge is used up, never beyond it, nor beyond what the wallet holds (a client
    never owes money because it was refunded: `RefundTooLarge` naming `amount`).

    Three steps: (1) under the wallet and top-up locks, check what is left and write the
    refund row (committed: a refund racing this one sees it and counts it); (2) ask the
    gateway with the row's key `refund:<id>`; (3) post the entry under the same key. A
    gateway that refuses marks the row failed (its amount is free again); one that did not
    answer leaves it pending, and asking again with the same `idempotency_key` (keys are the
    agency's: `agencies.idempotency`) finishes it with the same gateway key, never refunding
    twice. `sub_account`, when given, is the caller's tenancy: another client's top-up is
    not found (`NotFound`).
    """
    reason = correction_reason(reason)
    label = operator_label(actor, actor_label)
    key = action_key_clean(idempotency_key)
    topups = TopUp.objects.select_related("sub_account__agency", "wallet")
    if sub_account is not None:
        topups = topups.filter(sub_account=sub_account)
    topup = topups.filter(pk=topup_id).first()
    if topup is None:
        raise NotFound("No such top-up.", field="topup")
    value = None if amount is None else _refund_amount(amount)
    request_key = ""
    if key:
        row, _ = action_key_claim(
            agency=topup.sub_account.agency, key=key, action="refund",
            request={"topup": str(topup.pk), "amount": None if value is None else str(value),
                     "reason": reason})
        request_key = str(row.pk)
    refund = _refund_reserve(topup=topup, amount=value, reason=reason,
                             request_key=request_key, label=label)
    if refund.status == TopUpRefund.Status.SUCCEEDED:
        return refund
    if refund.status == TopUpRefund.Status.FAILED:
        raise RefundFailed(refund.error["message"], field="topup")
    try:
        result = gateway_for(topup.sub_account.agency).refund(
            charge_id=topup.charge_id, amount_minor=int(refund.amount.amount * 100),
            currency=refund.amount.currency.code, idempotency_key=refund.idempotency_key)
    except RefundFailed as exc:
        with transaction.atomic(durable=True):
            TopUpRefund.objects.filter(pk=refund.pk, status=TopUpRefund.Status.PENDING).update(
                status=TopUpRefund.Status.FAILED,
                error={"code": exc.code, "message": exc.message})
        raise
    except Exception as exc:
        # No answer (a timeout, a dropped connection): the gateway may have refunded.
        logger.warning("refund %s: the gateway did not answer", refund.pk, exc_info=True)
        raise RefundPending(
            f"The payment gateway did not answer refund {refund.pk}; it stays reserved. Send "
            "the same request with the same idempotency_key to finish it.",
            field="topup") from exc
    return _refund_post(refund_id=refund.pk, result=result, actor=actor, label=label)


def _refund_amount(amount) -> Decimal:
    value = correction_amount(amount)
    if value < 0 or to_minor_units(value) != value:
        raise InvalidInput("A refund is a positive amount in whole cents.", field="amount")
    return value


def topups_refunded(topups) -> dict:
    """How much of each top-up (by pk) is refunded or with the gateway being refunded: every
    refund entry posted (the operators' single refunds of before, keyed `refund:<top-up>`,
    included) and every refund still pending. Two queries, whatever the number."""
    ids = [str(topup.pk) for topup in topups]
    refunded = {topup.pk: Decimal(0) for topup in topups}
    for row in (Entry.objects.filter(kind=Entry.Kind.REFUND, reference_type="topup_refund",
                                     reference_id__in=ids)
                .values("reference_id").annotate(total=Sum("amount"))):
        refunded[uuid.UUID(row["reference_id"])] -= Decimal(row["total"])
    for row in (TopUpRefund.objects.filter(topup_id__in=ids,
                                           status=TopUpRefund.Status.PENDING)
                .values("topup_id").annotate(total=Sum("amount"))):
        refunded[row["topup_id"]] += Decimal(row["total"])
    return refunded


def topup_refundable(topup: TopUp) -> Decimal:
    """What is left to refund of a top-up: a succeeded card charge less its refunds."""
    if topup.status != TopUp.Status.SUCCEEDED or not topup.charge_id:
        return Decimal(0)
    return topup.amount.amount - topups_refunded([topup])[topup.pk]


def _refund_reserve(*, topup: TopUp, amount: Decimal | None, reason: str, request_key: str,
                    label: str) -> TopUpRefund:
    """Step 1 of `topup_refund`: the refund row (or the one this request key already made)."""
    with ledger_transaction(wallet_ids=[topup.wallet_id]) as ledger:
        wallet = ledger.wallets[topup.wallet_id]
        topup = TopUp.objects.select_for_update(of=("self",)).get(pk=topup.pk)
        if request_key:
            earlier = TopUpRefund.objects.filter(topup=topup, request_key=request_key).first()
            if earlier is not None:
                return earlier
        if topup.status != TopUp.Status.SUCCEEDED or not topup.charge_id:
            raise NotRefundable("Only a succeeded card top-up can be refunded.", field="topup")
        left = topup_refundable(topup)
        if left <= 0:
            raise AlreadyRefunded("This top-up was already refunded in full.", field="topup")
        value = left if amount is None else amount
        if value > left:
            raise RefundTooLarge(
                f"At most {left:.2f} {topup.amount.currency.code} is left to refund of this "
                f"top-up of {topup.amount}.", field="amount")
        # What the wallet holds less the refunds of its other top-ups still with the gateway:
        # two refunds racing on one wallet never take it below zero together.
        reserved = TopUpRefund.objects.filter(
            topup__wallet_id=wallet.pk, status=TopUpRefund.Status.PENDING).aggregate(
            total=Sum("amount"))["total"] or 0
        holds = wallet.balance.amount - Decimal(reserved)
        if value > holds:
            raise RefundTooLarge(f"The wallet holds {holds:.2f} {wallet.currency}: refunding "
                                 "more would leave the client owing it.", field="amount")
        refund = TopUpRefund(topup=topup, amount=Money(value, topup.amount.currency),
                             reason=reason[:255], request_key=request_key, actor_label=label)
        refund.full_clean()
        refund.save()
        return refund


def _refund_post(*, refund_id, result, actor, label: str) -> TopUpRefund:
    """Step 3 of `topup_refund`: the gateway sent the money back; debit the wallet once."""
    refund = TopUpRefund.objects.select_related("topup").get(pk=refund_id)
    topup = refund.topup
    with ledger_transaction(wallet_ids=[topup.wallet_id]) as ledger:
        refund = TopUpRefund.objects.select_for_update(of=("self",)).select_related(
            "topup").get(pk=refund_id)
        if refund.status == TopUpRefund.Status.SUCCEEDED:
            return refund
        value = refund.amount.amount
        entry, _ = ledger.post_one(topup.wallet_id, Posting(
            kind=Entry.Kind.REFUND, amount=-value, currency=refund.amount.currency.code,
            idempotency_key=refund.idempotency_key, reference_type="topup_refund",
            reference_id=str(topup.pk), corrects_id=topup.entry_id,
            memo=f"{result.refund_id} {refund.reason}"[:255], actor_label=label),
            audit=Audit(action="topup.refund", obj=topup, reason=refund.reason, actor=actor,
                        actor_label=label,
                        after={"amount": str(value), "refund": str(refund.pk),
                               "refund_id": result.refund_id,
                               "refund_status": result.status}))
        refund.status = TopUpRefund.Status.SUCCEEDED
        refund.entry = entry
        refund.gateway_refund_id = result.refund_id
        refund.settled_at = timezone.now()
        refund.save(update_fields=["status", "entry", "gateway_refund_id", "settled_at"])
    return refund


def topup_retry_now(*, topup_id, actor=None, actor_label: str = "",
                    idempotency_key: str = "", sub_account=None) -> TopUp:
    """Charge a declined or failed top-up again now, without waiting for its schedule.

    A failed top-up (retries exhausted) is re-opened, unless another top-up is in flight.
    With `idempotency_key` (the agency's, `agencies.idempotency`) a replay answers the top-up
    as it stands and charges nothing again; a retry refused (`NotRetryable`) keeps no key.
    `sub_account`, when given, is the caller's tenancy: another client's top-up is not found.
    """
    label = operator_label(actor, actor_label)
    topups = TopUp.objects.all() if sub_account is None else TopUp.objects.filter(
        sub_account=sub_account)
    found = topups.select_related("sub_account__agency").filter(pk=topup_id).first()
    if found is None:
        raise NotFound("No such top-up.", field="topup")
    key = action_key_clean(idempotency_key)
    if not key:
        return _topup_retry(topup_id=found.pk, actor=actor, label=label)
    row, new = action_key_claim(agency=found.sub_account.agency, key=key, action="retry",
                                request={"topup": str(found.pk)})
    if not new:
        return TopUp.objects.get(pk=found.pk)
    try:
        return _topup_retry(topup_id=found.pk, actor=actor, label=label)
    except NotRetryable:
        row.delete()
        raise


def _topup_retry(*, topup_id, actor, label: str) -> TopUp:
    wallet_id = TopUp.objects.values_list("wallet_id", flat=True).get(pk=topup_id)
    now = timezone.now()
    with ledger_transaction(wallet_ids=[wallet_id]):  # the wallet first, then the top-up
        topup = (TopUp.objects.select_for_update(of=("self",))
                 .select_related("sub_account").get(pk=topup_id))
        if topup.status not in RETRYABLE:
            raise NotRetryable(f"A {topup.get_status_display().lower()} top-up is not "
                               "retried.", field="topup")
        if (topup.status == TopUp.Status.FAILED and TopUp.objects.filter(
                wallet_id=wallet_id, status__in=TopUp.IN_FLIGHT).exists()):
            raise NotRetryable("Another top-up is in progress for this wallet.",
                               field="topup")
        before = {"status": topup.status, "next_attempt_at": (
            topup.next_attempt_at.isoformat() if topup.next_attempt_at else None)}
        if topup.status == TopUp.Status.FAILED:
            topup.status = TopUp.Status.RETRYING
        topup.next_attempt_at = now
        topup.save(update_fields=["status", "next_attempt_at", "updated_at"])
        audit_record(action="topup.retry_now", obj=topup, actor=actor, actor_label=label,
                     agency_id=topup.sub_account.agency_id, before=before,
                     after={"status": topup.status, "next_attempt_at": now.isoformat()})
    return topup_attempt(topup_id=topup_id, now=now)
