"""Stripe webhook events: recorded once, then applied against what Stripe says now.

dj-stripe receives the webhook at /stripe/webhook/<uuid>/ (the `WebhookEndpoint` that
`manage.py stripe_webhook_setup` records with STRIPE_WEBHOOK_SECRET), refuses a bad signature
with 400, stores the Event once (a duplicate delivery never reaches us) and sends its signal.
Our receiver (`wallets.payments.receivers`) calls `payment_event_receive` inside dj-stripe's
transaction: one `PaymentEvent` row by `event.id`, and processing after commit, because the
money services take durable transactions of their own.

`payment_event_process` never trusts the payload: it re-fetches the object with the
agency's own credentials (`StripeGateway`) and applies it only when it is that agency's, that
client's, that top-up's. Whichever comes first, the webhook or the top-up's own answer or
poll, applies the result; the top-up's status is the guard (`topup_settle`, `topup_fail`
are once-only) and a failure is applied only to the attempt it can be about, so a late or
out-of-order event changes nothing. Each processing is recorded on the row (started,
succeeded with its outcome, failed with the error) and the billing job
`jobs.payment_events_due` replays what a worker left.
"""

import logging
import uuid
from datetime import datetime

import stripe
from django.db import transaction
from django.utils import timezone
from djstripe.models import Event

from hoopbilling.models import AuditLog
from subaccounts.models import SubAccount
from wallets.payments.cards import payment_method_saved
from wallets.payments.gateways.base import ChargeResult
from wallets.payments.gateways.stripe import StripeGateway
from wallets.payments.models import PaymentEvent, TopUp, TopUpAttempt
from wallets.payments.signals import payment_event_recorded
from wallets.payments.topups import topup_result_apply, topup_settle

logger = logging.getLogger(__name__)

INTENT_EVENTS = ["payment_intent.succeeded", "payment_intent.payment_failed",
                 "payment_intent.requires_action"]
CARD_EVENTS = ["setup_intent.succeeded", "payment_method.attached"]
HANDLED_EVENTS = INTENT_EVENTS + CARD_EVENTS


@transaction.atomic
def payment_event_receive(*, event_id: str, type: str) -> PaymentEvent:
    """Record a verified Stripe event once and process it after the webhook's commit."""
    row, created = PaymentEvent.objects.get_or_create(event_id=event_id,
                                                      defaults={"type": type})
    if created:
        payment_event_recorded.send(sender=PaymentEvent, event_id=event_id)
    return row


def payment_event_process(*, event_id: str, now: datetime | None = None) -> PaymentEvent:
    """Apply one recorded event (safe to run twice: a processed event is left as it is)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        row = PaymentEvent.objects.select_for_update().get(event_id=event_id)
        if row.status == PaymentEvent.Status.SUCCEEDED:
            return row
        row.status = PaymentEvent.Status.STARTED
        row.tries += 1
        row.processed_at = now
        row.save(update_fields=["status", "tries", "processed_at"])
    try:
        event = Event.objects.get(id=event_id)
        handler = _intent_event if row.type in INTENT_EVENTS else _card_event
        outcome = handler(event=event, now=now)
    except Exception as exc:
        logger.exception("Stripe event %s failed", event_id)
        PaymentEvent.objects.filter(pk=row.pk).update(
            status=PaymentEvent.Status.FAILED, processed_at=timezone.now(),
            error={"type": type(exc).__name__, "message": str(exc)[:1000]})
        raise
    PaymentEvent.objects.filter(pk=row.pk).update(
        status=PaymentEvent.Status.SUCCEEDED, processed_at=timezone.now(), error=None,
        outcome=outcome[:200])
    row.refresh_from_db()
    return row


def _topup_of(intent: dict) -> TopUp | None:
    try:
        topup_id = uuid.UUID(str((intent.get("metadata") or {}).get("topup")))
    except ValueError:
        return None
    return TopUp.objects.select_related("sub_account__agency").filter(pk=topup_id).first()


def _intent_event(*, event, now: datetime) -> str:
    topup = _topup_of(event.data.get("object") or {})
    if topup is None or topup.gateway != StripeGateway.name:
        return "ignored: not one of our Stripe top-ups"
    gateway = StripeGateway(agency=topup.sub_account.agency)
    try:
        intent = gateway.charge_retrieve(charge_id=event.data["object"]["id"])
    except stripe.InvalidRequestError:
        return "ignored: no such payment in the agency's Stripe account"
    if ((intent.get("metadata") or {}).get("topup") != str(topup.pk)
            or intent.get("customer") != topup.sub_account.payment_customer_id):
        return "ignored: the payment belongs to another top-up"
    result = gateway.result(intent)
    if result.status == ChargeResult.SUCCEEDED:
        if topup.status == TopUp.Status.SUCCEEDED:
            return "already settled"
        topup_settle(topup_id=topup.pk, charge_id=intent.id, now=now)
        return "settled"
    failed = (result.status == ChargeResult.REQUIRES_ACTION
              or result.status == ChargeResult.DECLINED and result.error_code)
    if not failed:  # processing, or not confirmed yet: nothing to apply
        return f"ignored: the payment is {intent.status}"
    attempt = topup.attempt_rows.order_by("-number").first()
    if (not topup.in_flight or attempt is None or attempt.status != TopUpAttempt.Status.STARTED
            or event.created < attempt.started_at.replace(microsecond=0)):
        # Answered already, or about an earlier attempt: the current one decides itself.
        return "ignored: no attempt is waiting for this answer"
    topup_result_apply(topup_id=topup.pk, attempt_number=attempt.number, result=result,
                       now=now)
    return result.status


def _card_event(*, event, now: datetime) -> str:
    obj = event.data.get("object") or {}
    customer = obj.get("customer")
    payment_method = obj.get("payment_method") if obj.get("object") == "setup_intent" \
        else obj.get("id")
    sub_account = (SubAccount.objects.select_related("agency")
                   .filter(payment_gateway=StripeGateway.name, payment_customer_id=customer)
                   .first() if customer else None)
    if sub_account is None or not payment_method:
        return "ignored: not one of our clients' cards"
    if sub_account.payment_method_id == payment_method:
        return "already on file"
    last_change = (AuditLog.objects.filter(action="subaccount.payment_method_set",
                                           object_type="subaccounts.subaccount",
                                           object_id=str(sub_account.pk))
                   .order_by("-created_at").values_list("created_at", flat=True).first())
    if last_change is not None and event.created < last_change.replace(microsecond=0):
        return "ignored: older than the card on file"
    gateway = StripeGateway(agency=sub_account.agency)
    try:
        if obj.get("object") == "setup_intent":
            setup = gateway.setup_retrieve(setup_id=obj["id"])
            if (setup.status != "succeeded" or setup.get("customer") != customer
                    or setup.get("payment_method") != payment_method):
                return "ignored: the setup is not this client's card"
        method, card = gateway.card_retrieve(payment_method=payment_method)
    except stripe.InvalidRequestError:
        return "ignored: no such card in the agency's Stripe account"
    if card is None or method.get("customer") != customer:
        return "ignored: the card is not attached to this client"
    payment_method_saved(sub_account=sub_account, gateway=StripeGateway.name,
                         customer_id=customer, card=card, actor_label="stripe webhook")
    return "card saved"

