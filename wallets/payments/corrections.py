"""Operator corrections of top-ups: refund (gateway first, then a `refund` entry) and
"retry now"."""

from django.utils import timezone

from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
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
from wallets.payments.gateways import gateway_for
from wallets.payments.models import TopUp
from wallets.payments.topups import topup_attempt


class AlreadyRefunded(CorrectionRefused):
    code = "already_refunded"


class NotRefundable(CorrectionRefused):
    code = "not_refundable"


class RefundTooLarge(CorrectionRefused):
    code = "refund_too_large"


class NotRetryable(CorrectionRefused):
    code = "not_retryable"


def topup_refund(*, topup_id, amount, reason: str, actor=None, actor_label: str = "") -> Entry:
    """Send (part of) a succeeded top-up back to the card through its gateway, once, and post
    the `refund` entry. Never more than the top-up, nor more than the wallet holds."""
    reason, amount = correction_reason(reason), correction_amount(amount)
    label = operator_label(actor, actor_label)
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
    with ledger_transaction(wallet_ids=[topup.wallet_id]) as ledger:
        if Entry.objects.filter(idempotency_key=key).exists():
            raise AlreadyRefunded("This top-up was already refunded.", field="topup")
        entry, _ = ledger.post_one(topup.wallet_id, Posting(
            kind=Entry.Kind.REFUND, amount=-amount, currency=currency, idempotency_key=key,
            reference_type="topup_refund", reference_id=str(topup.pk),
            corrects_id=topup.entry_id, memo=f"{result.refund_id} {reason}"[:255],
            actor_label=label), audit=Audit(
            action="topup.refund", obj=topup, reason=reason, actor=actor, actor_label=label,
            after={"amount": str(amount), "refund_id": result.refund_id,
                   "refund_status": result.status}))
    return entry


def topup_retry_now(*, topup_id, actor=None, actor_label: str = "") -> TopUp:
    """Charge a declined or failed top-up again now, without waiting for its schedule.

    A failed top-up (retries exhausted) is re-opened, unless another top-up is in flight.
    """
    label = operator_label(actor, actor_label)
    wallet_id = TopUp.objects.values_list("wallet_id", flat=True).get(pk=topup_id)
    now = timezone.now()
    with ledger_transaction(wallet_ids=[wallet_id]):  # the wallet first, then the top-up
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
