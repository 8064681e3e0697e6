"""The writers of outbound webhooks: endpoints (create, rotate the secret, enable or disable,
delete), the outbox (`webhook_event_record`, called inside the transaction of the change the
event describes), a test event and a resend. Each endpoint change is audited.

An event is written only when at least one enabled endpoint of the agency hears its type,
with one delivery per such endpoint, in the same transaction; each delivery's task is
enqueued once it commits (and the billing jobs find any whose enqueue was lost).
"""

import secrets
import time
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from hoopbilling.outages import task_enqueue
from wallets.webhooks.models import (
    EVENT_TYPES,
    TEST_EVENT_TYPE,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from wallets.webhooks.safety import url_refusal
from wallets.webhooks.tasks import webhook_delivery_task

MAX_ENDPOINTS = 10
MAX_URL_LENGTH = 2048

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def event_id_new() -> str:
    """"evt_" and 26 characters: a ULID (48 bits of milliseconds, 80 random bits in Crockford
    base 32), so ids sort by creation and never collide in practice."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "evt_" + "".join(reversed(chars))


def secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def events_clean(events) -> list[str]:
    """["*"] or known types, each once, in the order of `EVENT_TYPES`; InvalidInput naming
    `events` otherwise."""
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise InvalidInput('Events is a list of event types, or ["*"].', field="events")
    if "*" in events:
        return ["*"]
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"Unknown event type: {', '.join(unknown)}.", field="events")
    return [t for t in EVENT_TYPES if t in events]


def url_clean(url) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("A URL is required.", field="url")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"At most {MAX_URL_LENGTH} characters.", field="url")
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise InvalidInput("Not a valid URL.", field="url") from exc
    refusal = url_refusal(url)
    if refusal:
        raise InvalidInput(refusal, field="url")
    return url


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "enabled": endpoint.enabled}


@transaction.atomic
def webhook_endpoint_create(*, agency, url, events, actor=None, actor_label: str = "",
                            ) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown to the agency this once)."""
    url = url_clean(url)
    events = events_clean(events)
    if WebhookEndpoint.objects.filter(agency=agency).count() >= MAX_ENDPOINTS:
        raise InvalidInput(f"At most {MAX_ENDPOINTS} webhook endpoints.", field="url")
    secret = secret_new()
    endpoint = WebhookEndpoint(agency=agency, url=url, events=events, secret=secret)
    endpoint.full_clean()
    endpoint.save()
    audit_record(action="webhook_endpoint.create", obj=endpoint, actor=actor,
                 actor_label=actor_label, agency_id=agency.pk, after=_snapshot(endpoint))
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, url=None, events=None, actor=None,
                            actor_label: str = "") -> WebhookEndpoint:
    """Change an endpoint's URL or event types; its secret and log stay."""
    before = _snapshot(endpoint)
    if url is not None:
        endpoint.url = url_clean(url)
    if events is not None:
        endpoint.events = events_clean(events)
    endpoint.full_clean()
    endpoint.save(update_fields=["url", "events", "updated_at"])
    audit_record(action="webhook_endpoint.update", obj=endpoint, actor=actor,
                 actor_label=actor_label, agency_id=endpoint.agency_id, before=before,
                 after=_snapshot(endpoint))
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate(*, endpoint: WebhookEndpoint, overlap_hours: int = 24, actor=None,
                            actor_label: str = "") -> str:
    """A new secret; the old one signs too for `overlap_hours` (0: at once replaced), so the
    receiver can switch without refusing an event."""
    if not isinstance(overlap_hours, int) or not 0 <= overlap_hours <= 7 * 24:
        raise InvalidInput("The overlap is 0 to 168 hours.", field="overlap_hours")
    secret = secret_new()
    if overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret = ""
        endpoint.previous_secret_expires_at = None
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at",
                                 "updated_at"])
    audit_record(action="webhook_endpoint.rotate", obj=endpoint, actor=actor,
                 actor_label=actor_label, agency_id=endpoint.agency_id,
                 after={"overlap_hours": overlap_hours})
    return secret


@transaction.atomic
def webhook_endpoint_set_enabled(*, endpoint: WebhookEndpoint, enabled: bool, reason: str = "",
                                 actor=None, actor_label: str = "") -> WebhookEndpoint:
    """Enable or disable an endpoint. Enabling starts a fresh failure count and makes its
    pending deliveries due now; a disabled endpoint gets no new deliveries and its pending
    ones wait."""
    before = _snapshot(endpoint)
    endpoint.enabled = enabled
    endpoint.disabled_reason = "" if enabled else (reason or "Disabled by the agency.")[:200]
    endpoint.failing_since = None
    endpoint.save(update_fields=["enabled", "disabled_reason", "failing_since", "updated_at"])
    audit_record(action="webhook_endpoint.enable" if enabled else "webhook_endpoint.disable",
                 obj=endpoint, actor=actor, actor_label=actor_label,
                 agency_id=endpoint.agency_id, before=before, after=_snapshot(endpoint),
                 reason=reason)
    if enabled:
        pending = list(WebhookDelivery.objects.filter(
            endpoint=endpoint, status=WebhookDelivery.Status.PENDING).values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=pending).update(next_attempt_at=timezone.now())
        _enqueue_on_commit(pending)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor=None,
                            actor_label: str = "") -> None:
    """Delete an endpoint with its deliveries and their log (the events stay)."""
    audit_record(action="webhook_endpoint.delete", obj=endpoint, actor=actor,
                 actor_label=actor_label, agency_id=endpoint.agency_id,
                 before=_snapshot(endpoint))
    endpoint.delete()


def _enqueue_on_commit(delivery_ids) -> None:
    for delivery_id in delivery_ids:
        # Robust: the change is committed whatever the broker does; the billing jobs deliver
        # what was not enqueued.
        transaction.on_commit(
            lambda pk=delivery_id: task_enqueue(webhook_delivery_task, pk), robust=True)


def sub_account_ref(sub_account) -> dict:
    """How an event names its client: our id and the agency's own (`external_id`)."""
    return {"id": str(sub_account.pk), "external_id": sub_account.external_id}


def webhook_events_record(*, agency, type: str, events: list[tuple[dict, object]],
                          ) -> list[WebhookEvent]:
    """Write one event per (data, sub_account or None) for every enabled endpoint of the
    agency that hears `type`, in the caller's transaction (the change the events describe).
    Nothing when none hears it, which costs one indexed query. `data` is plain JSON values
    (amounts as strings)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook events are recorded inside the transaction of the change")
    agency_id = getattr(agency, "pk", agency)
    endpoints = [e for e in WebhookEndpoint.objects.filter(agency_id=agency_id, enabled=True)
                 if e.hears(type)]
    if not endpoints or not events:
        return []
    rows = WebhookEvent.objects.bulk_create([
        WebhookEvent(id=event_id_new(), agency_id=agency_id, sub_account=sub_account,
                     type=type, data=data)
        for data, sub_account in events])
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(event=event, endpoint=endpoint, sub_account=event.sub_account,
                        next_attempt_at=now)
        for event in rows for endpoint in endpoints])
    _enqueue_on_commit([d.pk for d in deliveries])
    return rows


def webhook_event_record(*, agency, type: str, data: dict, sub_account=None,
                         ) -> WebhookEvent | None:
    """One event (`webhook_events_record`): None when no endpoint hears it."""
    rows = webhook_events_record(agency=agency, type=type, events=[(data, sub_account)])
    return rows[0] if rows else None


@transaction.atomic
def webhook_test_event(*, endpoint: WebhookEndpoint, actor=None,
                       actor_label: str = "") -> WebhookDelivery:
    """A `webhook.test` event for this endpoint only (enabled or not: the agency checks its
    receiver before enabling it), audited."""
    event = WebhookEvent.objects.create(
        id=event_id_new(), agency_id=endpoint.agency_id, type=TEST_EVENT_TYPE,
        data={"message": "A test event from HoopBilling.", "endpoint": str(endpoint.pk)})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint,
                                              next_attempt_at=timezone.now())
    audit_record(action="webhook_endpoint.test_event", obj=endpoint, actor=actor,
                 actor_label=actor_label, agency_id=endpoint.agency_id,
                 after={"event": event.pk})
    _enqueue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery, actor=None,
                            actor_label: str = "") -> WebhookDelivery:
    """Send a delivery again now with the same event id, as a new run of retries; its earlier
    attempts stay in the log."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.failures = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "failures", "next_attempt_at", "updated_at"])
    audit_record(action="webhook_delivery.resend", obj=delivery, actor=actor,
                 actor_label=actor_label, agency_id=delivery.endpoint.agency_id)
    _enqueue_on_commit([delivery.pk])
    return delivery
