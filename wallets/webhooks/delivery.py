"""Delivering a webhook: claim it under a lease, record the attempt, POST the signed event,
record the outcome, schedule the retry.

- **Lease.** Claiming a due delivery pushes its `next_attempt_at` forward by ATTEMPT_LEASE and
  writes the attempt row, in one transaction, before the HTTP request; a worker killed during
  the request leaves the delivery pending and due again once the lease passes (the next run
  marks the unfinished attempt as interrupted). At least once: the receiver may see an event
  twice, always with the same id.
- **Backoff.** After a failure (no 2xx: an error status, a 3xx, a timeout, a refused address)
  the next attempt waits BACKOFF[failures - 1]; after the last the delivery is failed. The
  delays add up to about 3.9 days, past the 3 days of failures after which an endpoint is
  disabled and its agency alerted.
- **Order per client.** A delivery with a client waits while an older (lower id) delivery of
  the same endpoint and client is pending; when that one ends (delivered or given up) the
  next is made due at once. Events without a client are not ordered.
- **Safety** (`wallets.webhooks.safety`): the host is resolved and checked at send time and the
  connection goes to the checked address with the URL's host name for SNI, the certificate and
  the Host header; TIMEOUT seconds in all, at most MAX_BODY bytes of the answer read,
  redirects never followed.
"""

import hashlib
import hmac
import json
import logging
import time
from collections import Counter
from datetime import datetime, timedelta

import urllib3
from celery import signature
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hoopbilling.outages import task_enqueue
from wallets.payments.models import Notification
from wallets.payments.notifications import notification_send
from wallets.webhooks.models import (
    TEST_EVENT_TYPE,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from wallets.webhooks.safety import UrlRefused, addresses_checked

logger = logging.getLogger(__name__)

TIMEOUT = 10.0
MAX_BODY = 64 * 1024
EXCERPT_BYTES = 1024
# Longer than an attempt can take (TIMEOUT plus two short transactions).
ATTEMPT_LEASE = timedelta(minutes=1)
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6), timedelta(hours=12), timedelta(hours=24),
           timedelta(hours=24), timedelta(hours=24)]
DISABLE_AFTER = timedelta(days=3)
# How long a delivery waiting behind an older one of its client sleeps before it looks again
# (it is woken at once when the older one ends).
ORDER_WAIT = timedelta(minutes=1)
BATCH_SIZE = 200
SIGNATURE_HEADER = "HoopBilling-Signature"
USER_AGENT = "HoopBilling-Webhooks/1.0"
# The delivery task's name (`wallets.webhooks.tasks`), which messages in flight carry.
DELIVERY_TASK = "wallets.tasks.webhook_delivery_send"


def body_of(event) -> bytes:
    return json.dumps({"id": event.id, "type": event.type,
                       "created": int(event.created_at.timestamp()), "data": event.data},
                      separators=(",", ":")).encode()


def signature_header(endpoint: WebhookEndpoint, body: bytes, *, timestamp: int,
                     now: datetime) -> str:
    """`t=<unix>,v1=<hex>`, with a second v1 by the previous secret during a rotation's
    overlap."""
    signed = f"{timestamp}.".encode() + body
    keys = [endpoint.secret]
    if (endpoint.previous_secret and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > now):
        keys.append(endpoint.previous_secret)
    return ",".join([f"t={timestamp}"] + [
        "v1=" + hmac.new(key.encode(), signed, hashlib.sha256).hexdigest() for key in keys])


def _host_header(host: str, port: int, scheme: str) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"


def http_post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """POST to the checked address of `url`: (status, at most MAX_BODY bytes of the answer).
    UrlRefused for a refused address; urllib3's errors for a connection or a timeout."""
    scheme, host, port, path, addresses = addresses_checked(url)
    deadline = time.monotonic() + TIMEOUT
    options = {"port": port, "maxsize": 1, "retries": False,
               "timeout": urllib3.Timeout(connect=TIMEOUT, read=TIMEOUT)}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(addresses[0], server_hostname=host,
                                           assert_hostname=host, cert_reqs="CERT_REQUIRED",
                                           **options)
    else:
        pool = urllib3.HTTPConnectionPool(addresses[0], **options)
    try:
        response = pool.urlopen("POST", path, body=body, redirect=False, retries=False,
                                preload_content=False, assert_same_host=False,
                                headers={**headers, "Host": _host_header(host, port, scheme)},
                                timeout=urllib3.Timeout(total=TIMEOUT))
        try:
            chunks, size = [], 0
            while size < MAX_BODY and time.monotonic() < deadline:
                chunk = response.read(min(8192, MAX_BODY - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            response.close()
        return response.status, b"".join(chunks)
    finally:
        pool.close()


def _sendable() -> Q:
    # A test event goes to a disabled endpoint too: the agency checks its receiver first.
    return Q(endpoint__enabled=True) | Q(event__type=TEST_EVENT_TYPE)


@transaction.atomic
def _claim(delivery_id, now: datetime):
    delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event", "endpoint")
                .filter(_sendable(), pk=delivery_id, status=WebhookDelivery.Status.PENDING,
                        next_attempt_at__lte=now).first())
    if delivery is None:
        return None, None
    if delivery.sub_account_id is not None:
        earlier = (WebhookDelivery.objects
                   .filter(endpoint_id=delivery.endpoint_id,
                           sub_account_id=delivery.sub_account_id,
                           status=WebhookDelivery.Status.PENDING, pk__lt=delivery.pk)
                   .order_by("pk").first())
        if earlier is not None:
            delivery.next_attempt_at = max(earlier.next_attempt_at or now, now) + ORDER_WAIT
            delivery.save(update_fields=["next_attempt_at", "updated_at"])
            return delivery, None
    WebhookAttempt.objects.filter(delivery=delivery, finished_at__isnull=True).update(
        finished_at=now, error="No answer recorded: the worker stopped during the attempt.")
    delivery.attempts += 1
    delivery.next_attempt_at = now + ATTEMPT_LEASE  # no other run takes it meanwhile
    delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    attempt = WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts,
                                            started_at=now)
    return delivery, attempt


def webhook_delivery_send(*, delivery_id, now: datetime) -> str | None:
    """Attempt the delivery if it is due and not leased: "succeeded", "retrying", "failed",
    "waiting" (behind an older one of its client) or None (nothing to do)."""
    delivery, attempt = _claim(delivery_id, now)
    if delivery is None:
        return None
    if attempt is None:
        return "waiting"
    endpoint = delivery.endpoint
    body = body_of(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(endpoint, body, timestamp=int(time.time()), now=now),
    }
    status_code, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        status_code, answer = http_post(endpoint.url, body, headers)
        excerpt = answer[:EXCERPT_BYTES].decode("utf-8", "replace")
        if not 200 <= status_code < 300:
            error = (f"Redirect ({status_code}) not followed." if 300 <= status_code < 400
                     else f"HTTP {status_code}.")
    except UrlRefused as exc:
        error = str(exc)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    latency_ms = int((time.monotonic() - started) * 1000)
    return _finish(delivery.pk, attempt.pk, attempt.number, now=now, status_code=status_code,
                   excerpt=excerpt, error=error[:500], latency_ms=latency_ms)


@transaction.atomic
def _finish(delivery_id, attempt_id, number: int, *, now: datetime, status_code, excerpt: str,
            error: str, latency_ms: int) -> str:
    WebhookAttempt.objects.filter(pk=attempt_id).update(
        finished_at=timezone.now(), status_code=status_code, response_excerpt=excerpt,
        error=error, latency_ms=latency_ms)
    delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                .select_related("event").filter(pk=delivery_id).first())
    if delivery is None:
        return "deleted"  # its endpoint was deleted during the attempt
    if delivery.attempts != number or delivery.status != WebhookDelivery.Status.PENDING:
        return "superseded"  # the lease passed and another run took it over
    delivery.last_status_code = status_code
    delivery.last_error = error
    is_test = delivery.event.type == TEST_EVENT_TYPE
    if not error:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.failures = 0
        outcome = "succeeded"
        if not is_test:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id,
                                           failing_since__isnull=False).update(failing_since=None)
    else:
        delivery.failures += 1
        if is_test or delivery.failures > len(BACKOFF):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            outcome = "failed"
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.failures - 1]
            outcome = "retrying"
        if not is_test:
            _endpoint_failed(delivery.endpoint_id, now)
    delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "failures",
                                 "last_status_code", "last_error", "updated_at"])
    if outcome != "retrying" and delivery.sub_account_id is not None:
        _wake_next(delivery, now)
    return outcome


def _endpoint_failed(endpoint_id, now: datetime) -> None:
    """Start or continue the endpoint's run of failures; after DISABLE_AFTER of it, disable
    the endpoint and alert the agency."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now)
    endpoint = (WebhookEndpoint.objects.select_for_update().select_related("agency")
                .get(pk=endpoint_id))
    if not endpoint.enabled or endpoint.failing_since > now - DISABLE_AFTER:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = "Every delivery failed for 3 days."
    endpoint.save(update_fields=["enabled", "disabled_reason", "updated_at"])
    notification_send(
        agency=endpoint.agency, kind=Notification.Kind.WEBHOOK_DISABLED,
        dedupe_key=f"webhook_disabled:{endpoint.pk}:{endpoint.failing_since.isoformat()}",
        message=(f"Webhook endpoint {endpoint.url} was disabled: every delivery to it failed "
                 f"since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC. Fix the receiver, then "
                 "enable it again; its pending deliveries will be sent."))


def _wake_next(delivery: WebhookDelivery, now: datetime) -> None:
    following = (WebhookDelivery.objects
                 .filter(endpoint_id=delivery.endpoint_id, sub_account_id=delivery.sub_account_id,
                         status=WebhookDelivery.Status.PENDING, pk__gt=delivery.pk)
                 .order_by("pk").values_list("pk", flat=True).first())
    if following is None:
        return
    WebhookDelivery.objects.filter(pk=following).update(next_attempt_at=now)
    # By name: the task module imports this one.
    transaction.on_commit(lambda: task_enqueue(signature(DELIVERY_TASK), following),
                          robust=True)


def webhook_deliveries_due(now: datetime) -> dict:
    """The billing job: every delivery due (first attempts whose enqueue was lost, retries,
    leases a killed worker left), oldest first so a client's order holds; a delivery woken
    by the end of the one it waited behind goes in the same run. At most BATCH_SIZE."""
    counts: Counter = Counter()
    tried: set = set()
    while len(tried) < BATCH_SIZE:
        ids = list(WebhookDelivery.objects
                   .filter(_sendable(), status=WebhookDelivery.Status.PENDING,
                           next_attempt_at__lte=now)
                   .exclude(pk__in=tried)
                   .order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE - len(tried)])
        if not ids:
            break
        for delivery_id in ids:
            tried.add(delivery_id)
            try:
                outcome = webhook_delivery_send(delivery_id=delivery_id, now=now)
            except Exception:  # one broken delivery must not stop the others; it stays due
                logger.exception("webhook delivery %s failed", delivery_id)
                counts["webhook_errors"] += 1
                continue
            if outcome:
                counts[f"webhooks_{outcome}"] += 1
    return {"webhooks_succeeded": 0, "webhooks_retrying": 0, **counts}
