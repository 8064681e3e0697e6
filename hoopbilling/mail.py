"""Outgoing email: an outbox, one message per recipient, sent by a worker after the commit.

- `outgoing_emails_queue` writes one `OutgoingEmail` row per recipient in the caller's
  transaction (a rollback mails nobody) and, once it commits, queues
  `hoopbilling.tasks.outgoing_email_send` for each row. A failed enqueue (the broker is down)
  is logged and never reaches the request that caused the mail: the row waits for the sweep.
- `outgoing_email_send` claims its row with one conditional UPDATE (pending and due, or
  held by a worker that died, → sending), so two workers, or a worker and the sweep, never
  both send it; it sends through Django's mail API, so any `EMAIL_BACKEND` works (SMTP, the
  console, an email service provider's API through django-anymail), then marks the row sent,
  or pending again after an exponential backoff (`retry_delay`), or failed after
  `MAX_ATTEMPTS` tries.
- `outgoing_emails_due` is one of the billing jobs (every minute under beat, and in
  `manage.py run_billing_jobs`): it sends the rows whose task never came.
- `outgoing_email_tracked` records the delivery events (delivered, bounced, complained...)
  that an email service provider's webhook reports through django-anymail.

Delivery is at least once: a worker killed after the server accepted a message and before
its own UPDATE leaves a row that the sweep sends again once `SENDING_LEASE` has passed.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from anymail.signals import tracking
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone

from hoopbilling.models import OutgoingEmail
from hoopbilling.outages import task_enqueue

logger = logging.getLogger(__name__)

# Tries of one message: the first, then retries 30 s, 2 min, 8 min, 32 min, ~2 h, then every
# 6 h, about a day in all before the row is marked failed.
MAX_ATTEMPTS = 10
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 6 * 3600
# A worker holding a row longer than this died (EMAIL_TIMEOUT bounds one SMTP exchange).
SENDING_LEASE = timedelta(minutes=10)
# A row's own task may run this much before its time (the clocks of two hosts).
TASK_EARLY = timedelta(seconds=5)
# The sweep leaves a row this long to its own task first.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 100
PROVIDER_PROBLEMS = {"bounced", "rejected", "complained", "failed"}


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed try: 30 s, then four times longer each
    time, at most 6 hours."""
    return min(RETRY_BASE_SECONDS * 4 ** (attempts - 1), RETRY_MAX_SECONDS)


@transaction.atomic
def outgoing_emails_queue(*, recipients: Iterable[str], subject: str, body: str,
                          dedupe_key: str, from_email: str | None = None,
                          ) -> list[OutgoingEmail]:
    """One message per distinct recipient (no one sees another's address), written now and
    queued for sending once the transaction commits. A recipient already mailed under
    `dedupe_key` is not mailed again. Returns the new rows."""
    now = timezone.now()
    # A header holds one line: a client's name with a line break must not break the mail.
    subject = " ".join(subject.split())[:255]
    queued = []
    for to in sorted({address.strip() for address in recipients if address and address.strip()}):
        email, created = OutgoingEmail.objects.get_or_create(
            dedupe_key=dedupe_key, to=to,
            defaults={"subject": subject, "body": body, "next_attempt_at": now,
                      "from_email": from_email or settings.DEFAULT_FROM_EMAIL})
        if created:
            queued.append(email)
            transaction.on_commit(_enqueue_callback(email.pk), robust=True)
    return queued


def _enqueue_callback(email_id: int):
    # The broker down: logged and counted (hoopbilling.outages); the sweep sends the row.
    return lambda: task_enqueue(outgoing_email_send_task, email_id)


def _due(due_by: datetime) -> Q:
    """Rows to send by `due_by`: pending and due, or held by a worker that died (its lease
    over)."""
    return (Q(status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=due_by)
            | Q(status=OutgoingEmail.Status.SENDING, claimed_at__lte=due_by - SENDING_LEASE))


def _claim(email_id: int, *, due_by: datetime) -> OutgoingEmail | None:
    """Take the row for this worker if it is due by `due_by`; None when it is not due, done,
    or held by another worker. One UPDATE: of two claims racing, the second finds the row
    already sending (PostgreSQL re-checks the condition once the first commits)."""
    now = timezone.now()
    claimed = OutgoingEmail.objects.filter(_due(due_by), pk=email_id).update(
        status=OutgoingEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return OutgoingEmail.objects.get(pk=email_id) if claimed else None


def outgoing_email_send(*, email_id: int, due_by: datetime | None = None,
                        ) -> OutgoingEmail | None:
    """Send one message if it is due (by now, or by `due_by`) and no one else holds it.
    Returns the row as this try left it (sent, pending with its next try, or failed), or
    None when there was nothing to do."""
    email = _claim(email_id, due_by=due_by or timezone.now())
    if email is None:
        return None
    message = EmailMessage(subject=email.subject, body=email.body,
                           from_email=email.from_email, to=[email.to])
    try:
        message.send()
    except Exception as exc:
        return _failed(email, exc)
    # django-anymail backends give the provider's id of the message (its webhooks name it)
    provider_id = getattr(getattr(message, "anymail_status", None), "message_id", None)
    return _record(email, status=OutgoingEmail.Status.SENT, sent_at=timezone.now(),
                   last_error="", provider_message_id="" if provider_id is None
                   else str(provider_id))


def _record(email: OutgoingEmail, **outcome) -> OutgoingEmail:
    """Write this try's outcome, unless the row was taken back meanwhile (this worker
    outlived its lease and another claimed the row: that one's outcome stands)."""
    OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING,
                                 claimed_at=email.claimed_at).update(**outcome)
    for field, value in outcome.items():
        setattr(email, field, value)
    return email


def _failed(email: OutgoingEmail, exc: Exception) -> OutgoingEmail:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if email.attempts >= MAX_ATTEMPTS:
        logger.error("Gave up on outgoing email %s to %s after %s tries: %s",
                     email.pk, email.to, email.attempts, error)
        return _record(email, status=OutgoingEmail.Status.FAILED, last_error=error)
    next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(email.attempts))
    logger.warning("Outgoing email %s to %s failed (try %s), next try at %s: %s",
                   email.pk, email.to, email.attempts, next_attempt_at, error)
    return _record(email, status=OutgoingEmail.Status.PENDING, last_error=error,
                   next_attempt_at=next_attempt_at)


def outgoing_emails_due(now: datetime) -> dict:
    """The sweep: send the rows due by `now` whose own task has not come (its enqueue was
    lost, its retry dropped, its worker died), oldest first, up to `SWEEP_BATCH`. It stops at
    the first failure (the mail server is most likely down; each row keeps its backoff)."""
    due_by = now - SWEEP_GRACE
    email_ids = list(OutgoingEmail.objects.filter(_due(due_by)).order_by("next_attempt_at", "pk")
                     .values_list("pk", flat=True)[:SWEEP_BATCH])
    sent = failed = 0
    for email_id in email_ids:
        email = outgoing_email_send(email_id=email_id, due_by=due_by)
        if email is None:
            continue  # a worker took it meanwhile
        if email.status != OutgoingEmail.Status.SENT:
            failed += 1
            break
        sent += 1
    return {"emails_sent": sent, "emails_failed": failed}


@shared_task(name="hoopbilling.tasks.outgoing_email_send", bind=True, max_retries=None)
def outgoing_email_send_task(self, email_id: int) -> str | None:
    """Send one outgoing email; retried at the row's next try until it is sent or failed
    (`MAX_ATTEMPTS` bounds it, so Celery's own count does not)."""
    email = outgoing_email_send(email_id=email_id, due_by=timezone.now() + TASK_EARLY)
    if email is not None and email.status == OutgoingEmail.Status.PENDING:
        countdown = max(0.0, (email.next_attempt_at - timezone.now()).total_seconds())
        raise self.retry(countdown=countdown)
    return email.status if email else None


@receiver(tracking, dispatch_uid="hoopbilling.outgoing_email_tracked")
def outgoing_email_tracked(sender, event, esp_name, **kwargs):
    """A delivery event from an email service provider's webhook (django-anymail): kept on
    the message it is about; bounces, rejections and complaints are logged as warnings."""
    if not event.message_id:
        return
    found = OutgoingEmail.objects.filter(provider_message_id=str(event.message_id)).update(
        delivery_event=str(event.event_type)[:40])
    if event.event_type in PROVIDER_PROBLEMS:
        logger.warning("%s reports %s for %s (%s outgoing email(s)): %s", esp_name,
                       event.event_type, event.recipient, found,
                       event.description or event.mta_response or "")
