"""The outbox (hoopbilling.mail): one message per recipient, sent after the commit by a task
that retries with backoff; the sweep of the billing jobs sends what no task did, never twice;
an email service provider's webhook reports delivery through django-anymail."""

import base64
import importlib
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import clear_url_caches
from django.utils import timezone

from hoopbilling.mail import (
    MAX_ATTEMPTS,
    SENDING_LEASE,
    outgoing_email_send,
    outgoing_email_send_task,
    outgoing_emails_due,
    outgoing_emails_queue,
)
from hoopbilling.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def later(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


def queue(*recipients, key="k1"):
    return outgoing_emails_queue(recipients=recipients, subject="Balance\nlow",
                                 body="Add funds.", dedupe_key=key)


def test_one_message_per_recipient_each_with_one_address(
        mail_server, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue("b@example.com", "a@example.com", " a@example.com", "")
    assert sorted(m.to for m in mail.outbox) == [["a@example.com"], ["b@example.com"]]
    assert {m.subject for m in mail.outbox} == {"Balance low"}  # one header line
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_the_same_key_mails_a_recipient_once(
        mail_server, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue("a@example.com")
        assert queue("a@example.com", "c@example.com")[0].to == "c@example.com"
    assert sorted(m.to for m in mail.outbox) == [["a@example.com"], ["c@example.com"]]


def test_nothing_is_sent_before_the_commit_and_a_rollback_mails_nobody(
        mail_server, eager_celery, django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        queue("a@example.com")
        assert OutgoingEmail.objects.count() == 1 and not mail.outbox
        raise RuntimeError("the change failed")
    assert not OutgoingEmail.objects.exists()
    assert outgoing_emails_due(later(60)) == {"emails_sent": 0, "emails_failed": 0}
    assert not mail.outbox


def test_a_broker_that_is_down_fails_nothing_and_the_sweep_sends_the_mail(
        mail_server, broker_down, django_capture_on_commit_callbacks, caplog):
    # when the change commits and its email's task cannot be queued
    with django_capture_on_commit_callbacks(execute=True):
        [email] = queue("a@example.com")
    # then nothing raised; the row waits, untried, and the loss is logged
    email.refresh_from_db()
    assert email.status == "pending" and email.attempts == 0
    assert "not enqueued (broker down)" in caplog.text
    # and the billing jobs' sweep sends it
    assert outgoing_emails_due(later(2))["emails_sent"] == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_a_failed_send_waits_and_is_delivered_once_the_server_is_back(
        mail_server, eager_celery, django_capture_on_commit_callbacks):
    # given a mail server that is down when the change commits
    mail_server.down = True
    with django_capture_on_commit_callbacks(execute=True):
        [email] = queue("a@example.com")
    email.refresh_from_db()
    assert email.status == "pending" and email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error
    assert email.next_attempt_at > timezone.now()
    # the task run again before its time does nothing (it is not due)
    assert outgoing_email_send_task.apply(args=[email.pk]).get() is None
    # when the server is back and the retry comes
    mail_server.down = False
    assert outgoing_email_send(email_id=email.pk, due_by=email.next_attempt_at).status == "sent"
    # then the one message is delivered, and no later run sends it again
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert outgoing_emails_due(later(24 * 60)) == {"emails_sent": 0, "emails_failed": 0}
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 2 and email.last_error == ""
    assert len(mail.outbox) == 1


def test_retries_back_off_exponentially_and_stop(mail_server):
    mail_server.down = True
    [email] = queue("a@example.com")  # its task never queued: the sweep tries it
    waits = []
    for _ in range(MAX_ATTEMPTS):
        before = timezone.now()
        assert outgoing_emails_due(later(24 * 60))["emails_failed"] == 1
        email.refresh_from_db()
        waits.append(round((email.next_attempt_at - before).total_seconds() / 30))
    assert waits[:5] == [1, 4, 16, 64, 256]  # in units of 30 s
    assert max(waits) == 6 * 60 * 2  # 6 hours at most
    assert email.status == "failed" and email.attempts == MAX_ATTEMPTS
    assert outgoing_emails_due(later(48 * 60)) == {"emails_sent": 0, "emails_failed": 0}
    assert not mail.outbox


def test_the_sweep_sends_what_no_task_did_and_never_twice(mail_server):
    # given two committed rows whose tasks were lost (the broker was down at the commit)
    queue("a@example.com", "b@example.com")
    # the sweep leaves a row to its own task for a minute
    assert outgoing_emails_due(timezone.now())["emails_sent"] == 0
    # then sends each once, however often it runs, and a late task finds nothing to do
    assert outgoing_emails_due(later(2)) == {"emails_sent": 2, "emails_failed": 0}
    assert outgoing_emails_due(later(3))["emails_sent"] == 0
    for email in OutgoingEmail.objects.all():
        assert outgoing_email_send_task.apply(args=[email.pk]).get() is None
    assert sorted(m.to for m in mail.outbox) == [["a@example.com"], ["b@example.com"]]


def test_a_row_held_by_a_worker_is_left_alone_until_its_lease_ends(mail_server):
    [email] = queue("a@example.com")
    # a worker claimed it (and died before recording the outcome)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status="sending", claimed_at=timezone.now(), attempts=1)
    assert outgoing_emails_due(later(2))["emails_sent"] == 0
    assert outgoing_email_send_task.apply(args=[email.pk]).get() is None
    assert not mail.outbox
    # once the lease is over the sweep sends it
    lease_over = later(2) + SENDING_LEASE
    assert outgoing_emails_due(lease_over)["emails_sent"] == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_run_billing_jobs_sends_the_outbox(mail_server, capsys):
    queue("a@example.com")
    call_command("run_billing_jobs", "--now", later(5).isoformat())
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts["emails_sent"] == 1
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


@pytest.fixture
def anymail_webhooks(settings):
    """The email service provider's webhooks mounted, as they are when
    ANYMAIL_WEBHOOK_SECRET is set."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    import hoopbilling.urls

    importlib.reload(hoopbilling.urls)
    clear_url_caches()
    yield
    settings.ANYMAIL = {}
    importlib.reload(hoopbilling.urls)
    clear_url_caches()


def test_a_provider_bounce_is_recorded_on_the_message(
        anymail_webhooks, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [email] = queue("gone@example.com")
    email.refresh_from_db()
    assert email.status == "sent" and email.provider_message_id == "0"
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "MessageID": "0", "ID": 42,
              "Email": "gone@example.com", "BouncedAt": "2026-12-03T10:00:00Z",
              "Description": "The server was unable to deliver your message"}
    url = "/anymail/postmark/tracking/"
    unauthenticated = Client().post(url, json.dumps(bounce), content_type="application/json")
    assert unauthenticated.status_code == 400
    email.refresh_from_db()
    assert email.delivery_event == ""
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    response = Client().post(url, json.dumps(bounce), content_type="application/json",
                             HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_event == "bounced"


def test_without_a_webhook_secret_the_provider_webhooks_are_not_mounted():
    assert Client().post("/anymail/postmark/tracking/", "{}",
                         content_type="application/json").status_code == 404
