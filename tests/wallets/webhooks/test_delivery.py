"""Delivery to a real receiver on loopback: retries keep the id and the log shows each
attempt, a client's events stay in order, both secrets sign during a rotation, an endpoint
failing for 3 days is disabled and its agency alerted, the task is queued when the change
commits."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from subaccounts.services import subaccount_lift, subaccount_suspend
from tests.wallets.webhooks.signing import signed_by, verify
from wallets.billing.jobs import billing_jobs_run
from wallets.ledger.corrections import wallet_credit_grant
from wallets.payments.models import Notification
from wallets.webhooks.delivery import BACKOFF, webhook_deliveries_due, webhook_delivery_send
from wallets.webhooks.models import WebhookAttempt, WebhookDelivery
from wallets.webhooks.services import (
    webhook_delivery_resend,
    webhook_endpoint_rotate,
    webhook_endpoint_set_enabled,
    webhook_test_event,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_server")]


def credit(endpoint, reason="Goodwill"):
    wallet_credit_grant(sub_account=endpoint.client, amount="1", reason=reason)


def test_a_receiver_answering_500_then_200_gets_the_same_id_twice_and_the_log_shows_both(
        receiver, endpoint):
    receiver.statuses = [500]
    credit(endpoint)
    now = timezone.now()
    assert webhook_deliveries_due(now)["webhooks_retrying"] == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 500
    assert delivery.next_attempt_at == now + BACKOFF[0]
    # not due again before the backoff
    assert webhook_deliveries_due(now + timedelta(seconds=30))["webhooks_succeeded"] == 0
    assert webhook_deliveries_due(now + BACKOFF[0])["webhooks_succeeded"] == 1
    first, second = receiver.events()
    assert first["id"] == second["id"] and first == second
    assert all(signed_by(request, endpoint.raw_secret) for request in receiver.requests)
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code) for a in attempts] == [(1, 500), (2, 200)]
    assert attempts[0].response_excerpt == "answered 500" and attempts[0].error == "HTTP 500."
    assert all(a.latency_ms is not None and a.finished_at for a in attempts)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_client_s_later_event_waits_behind_an_earlier_one_being_retried(receiver, endpoint):
    receiver.statuses = [503]
    subaccount_suspend(sub_account=endpoint.client, reason="agency", note="x",
                       actor_label="test")
    subaccount_lift(sub_account=endpoint.client, actor_label="test")
    now = timezone.now()
    webhook_deliveries_due(now)
    # the suspension failed; the resumption waits instead of overtaking it
    assert [e["type"] for e in receiver.events()] == ["subaccount.suspended"]
    resumed = WebhookDelivery.objects.get(event__type="subaccount.resumed")
    assert resumed.attempts == 0 and resumed.status == "pending"
    # once the earlier one is delivered, the later one goes in the same run
    webhook_deliveries_due(now + BACKOFF[0])
    assert [e["type"] for e in receiver.events()] == [
        "subaccount.suspended", "subaccount.suspended", "subaccount.resumed"]


def test_during_a_rotation_both_secrets_sign_and_after_the_overlap_only_the_new_one(
        receiver, endpoint):
    old = endpoint.raw_secret
    new = webhook_endpoint_rotate(endpoint=endpoint, overlap_hours=24)
    credit(endpoint)
    webhook_deliveries_due(timezone.now())
    header = receiver.requests[0]["headers"]["HoopBilling-Signature"]
    assert header.count("v1=") == 2
    assert signed_by(receiver.requests[0], new) and signed_by(receiver.requests[0], old)
    # after the overlap only the new secret signs
    credit(endpoint, reason="Later")
    webhook_deliveries_due(timezone.now() + timedelta(hours=25))
    request = receiver.requests[1]
    assert request["headers"]["HoopBilling-Signature"].count("v1=") == 1
    stamp = int(request["headers"]["HoopBilling-Signature"].split(",")[0][2:])
    assert verify(new, request["headers"]["HoopBilling-Signature"], request["body"], now=stamp)
    assert not verify(old, request["headers"]["HoopBilling-Signature"], request["body"],
                      now=stamp)


def test_an_endpoint_failing_for_3_days_is_disabled_and_its_agency_alerted(receiver, endpoint):
    receiver.statuses = [500] * 20
    credit(endpoint)
    start = timezone.now()
    at = start
    for delay in [timedelta(0), *BACKOFF[:8]]:
        at += delay
        webhook_deliveries_due(at)
    endpoint.refresh_from_db()
    # 1 min + 5 min + ... + 24 h + 24 h after the first failure: less than 3 days, still on
    assert at - start < timedelta(days=3) and endpoint.enabled
    assert endpoint.failing_since == start
    at += BACKOFF[8]
    assert webhook_deliveries_due(at) == {"webhooks_succeeded": 0, "webhooks_retrying": 0,
                                          "webhooks_failed": 1}
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "3 days" in endpoint.disabled_reason
    notice = Notification.objects.get(agency=endpoint.agency, kind="webhook_disabled")
    assert endpoint.url in notice.message
    assert len(receiver.requests) == len(BACKOFF) + 1
    # a disabled endpoint gets no new deliveries
    credit(endpoint, reason="While disabled")
    assert WebhookDelivery.objects.count() == 1
    # enabled again, a resend goes and succeeds
    receiver.statuses = []
    webhook_endpoint_set_enabled(endpoint=endpoint, enabled=True)
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_resend(delivery=delivery)
    webhook_deliveries_due(at)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == len(BACKOFF) + 2


def test_a_test_event_reaches_the_endpoint_alone_once(receiver, endpoint):
    endpoint.enabled = False
    endpoint.save()
    delivery = webhook_test_event(endpoint=endpoint)
    assert webhook_delivery_send(delivery_id=delivery.pk, now=timezone.now()) == "succeeded"
    [event] = receiver.events()
    assert event["type"] == "webhook.test" and signed_by(receiver.requests[0],
                                                        endpoint.raw_secret)


def test_the_task_is_queued_when_the_change_commits_and_delivers(
        receiver, endpoint, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credit(endpoint)
    assert [e["type"] for e in receiver.events()] == ["credit.granted"]
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_the_billing_jobs_deliver_what_is_due(receiver, endpoint):
    credit(endpoint)
    counts = billing_jobs_run(timezone.now())
    assert counts["webhooks_succeeded"] == 1 and len(receiver.requests) == 1


def test_a_redirect_is_a_failure_and_is_not_followed(receiver, endpoint):
    receiver.statuses = [302]
    credit(endpoint)
    webhook_deliveries_due(timezone.now())
    assert [r["path"] for r in receiver.requests] == ["/hooks?src=hb"]
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302 and "not followed" in attempt.error


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "[::1]",
                                  "localhost", "rebound.example.test"])
def test_with_the_switch_off_private_addresses_are_refused_at_send_time(
        receiver, endpoint, settings, monkeypatch, host):
    # given an endpoint whose host (now) resolves inside: a literal, localhost, or a name
    # whose DNS answer changed after the endpoint was created
    real = socket.getaddrinfo

    def resolve(name, *args, **kwargs):
        if name == "rebound.example.test":
            return real("127.0.0.1", *args, **kwargs)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    port = receiver.server.server_address[1]
    endpoint.url = f"https://{host}:{port}/hooks"
    endpoint.save()
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    credit(endpoint)
    webhook_deliveries_due(timezone.now())
    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "private, loopback or link-local" in attempt.error


def test_with_the_switch_off_plain_http_is_refused(receiver, endpoint, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    credit(endpoint)
    webhook_deliveries_due(timezone.now())
    assert receiver.requests == []
    assert WebhookAttempt.objects.get().error == "The URL must be https://."
