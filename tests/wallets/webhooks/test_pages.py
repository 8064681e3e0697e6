"""The webhook pages: the endpoints page (add with the secret shown once, rotate, enable,
disable, delete, each audited), the delivery log (filters, pagination, CSV, a delivery's
attempts and payload, resend, send test event) and a disabled endpoint's reason. Tenancy:
another agency's endpoint or delivery is a 404 on every page, agency staff read but do not
change, a client admin reaches none of them."""

import pytest
from django.db import transaction
from django.utils import timezone

from hoopbilling.models import AuditLog
from tests.factories import AgencyMembershipFactory, ClientMembershipFactory, SubAccountFactory
from wallets.payments.models import Notification
from wallets.payments.notifications import notification_send
from wallets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from wallets.webhooks.services import (
    webhook_endpoint_create,
    webhook_event_record,
    webhook_test_event,
)

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.test/hoopbilling"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Deliveries stay pending: these tests read the log, the worker is tested elsewhere."""
    monkeypatch.setattr("wallets.webhooks.services.task_enqueue", lambda *a, **k: None)


@pytest.fixture
def admin():
    return AgencyMembershipFactory()


@pytest.fixture
def staff(admin):
    return AgencyMembershipFactory(agency=admin.agency, role="staff")


def endpoint_of(agency, events=("*",), url=URL):
    endpoint, _secret = webhook_endpoint_create(agency=agency, url=url, events=list(events),
                                                actor_label="test")
    return endpoint


def event_for(agency, sub_account, type="credit.granted"):
    with transaction.atomic():
        return webhook_event_record(agency=agency, sub_account=sub_account, type=type,
                                    data={"amount": "5.00"})


def test_admin_adds_an_endpoint_and_sees_its_secret_once(client, admin):
    client.force_login(admin.user)
    page = client.get("/agency/webhooks/").content.decode()
    assert "No endpoints yet" in page and 'href="/agency/webhooks/"' in page  # the nav link
    created = client.post("/agency/webhooks/", {
        "url": URL, "events": ["topup.failed", "invoice.issued"]})
    endpoint = WebhookEndpoint.objects.get(agency=admin.agency)
    # between the POST and the page that shows it, the session holds it encrypted only
    assert endpoint.secret not in str(dict(client.session))
    response = client.get(created["Location"])
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["topup.failed", "invoice.issued"]
    page = response.content.decode()
    assert f"Endpoint {URL} added." in page
    assert endpoint.secret in page and "it will not be shown again" in page
    assert 'data-copy="secret-value"' in page and "js/copy.js" in page
    # the next visit to that page, or the list, never shows it
    again = client.get(f"/agency/webhooks/{endpoint.pk}/secret/").content.decode()
    assert endpoint.secret not in again and "is not shown again" in again
    assert endpoint.secret not in client.get("/agency/webhooks/").content.decode()
    assert AuditLog.objects.filter(action="webhook_endpoint.create",
                                   object_id=str(endpoint.pk), actor=admin.user).exists()
    listed = client.get("/agency/webhooks/").content.decode()
    assert "topup.failed, invoice.issued" in listed and "None yet" in listed


def test_every_event_type_is_one_checkbox(client, admin):
    client.force_login(admin.user)
    client.post("/agency/webhooks/", {"url": URL, "all_events": "on"})
    assert WebhookEndpoint.objects.get(agency=admin.agency).events == ["*"]


@pytest.mark.parametrize(("url", "message"), [
    ("http://hooks.example.test/in", "The URL must be https://."),
    ("https://127.0.0.1/in", "private, loopback or link-local"),
    ("https://10.0.0.5/in", "private, loopback or link-local"),
])
def test_an_unsafe_url_is_refused_on_the_url_field(client, admin, settings, url, message):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.DEBUG = False
    client.force_login(admin.user)
    response = client.post("/agency/webhooks/", {"url": url, "all_events": "on"})
    assert response.status_code == 200
    assert message in response.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_no_event_type_chosen_names_the_field(client, admin):
    client.force_login(admin.user)
    response = client.post("/agency/webhooks/", {"url": URL})
    assert "Choose the event types" in response.context["form"].errors["events"][0]


def test_rotate_after_a_confirmation_shows_the_new_secret_once_and_the_overlap(client, admin):
    endpoint = endpoint_of(admin.agency)
    old = endpoint.secret
    client.force_login(admin.user)
    confirm = client.get(f"/agency/webhooks/{endpoint.pk}/rotate/").content.decode()
    assert "Rotate the secret" in confirm and "two signatures" in confirm
    response = client.post(f"/agency/webhooks/{endpoint.pk}/rotate/", follow=True)
    endpoint.refresh_from_db()
    page = response.content.decode()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in page and old not in page
    until = f"{endpoint.previous_secret_expires_at:%Y-%m-%d %H:%M}"
    assert f"both secrets sign until {until} UTC" in page
    assert endpoint.secret not in client.get(
        f"/agency/webhooks/{endpoint.pk}/secret/").content.decode()
    assert AuditLog.objects.filter(action="webhook_endpoint.rotate", actor=admin.user).exists()


def test_disable_after_a_confirmation_then_enable(client, admin):
    endpoint = endpoint_of(admin.agency)
    client.force_login(admin.user)
    assert "Disable" in client.get(f"/agency/webhooks/{endpoint.pk}/disable/").content.decode()
    response = client.post(f"/agency/webhooks/{endpoint.pk}/disable/", follow=True)
    assert "is disabled" in response.content.decode()
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    response = client.post(f"/agency/webhooks/{endpoint.pk}/enable/", follow=True)
    assert "is enabled" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert {"webhook_endpoint.disable", "webhook_endpoint.enable"} <= set(
        AuditLog.objects.filter(actor=admin.user).values_list("action", flat=True))


def test_an_endpoint_disabled_after_three_days_of_failures_says_why_and_since_when(
        client, admin):
    endpoint = endpoint_of(admin.agency)
    since = timezone.now() - timezone.timedelta(days=3, hours=1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, failing_since=since,
        disabled_reason="Every delivery failed for 3 days.")
    client.force_login(admin.user)
    listed = client.get("/agency/webhooks/").content.decode()
    assert "Every delivery failed for 3 days." in listed
    log = client.get(f"/agency/webhooks/{endpoint.pk}/").content.decode()
    assert "This endpoint is disabled" in log and f"{since:%Y-%m-%d %H:%M}" in log
    assert "Enable it again" in log
    notification_send(agency=admin.agency, kind=Notification.Kind.WEBHOOK_DISABLED,
                      message=f"Webhook endpoint {URL} was disabled.", dedupe_key="disabled")
    notifications = client.get("/agency/notifications/").content.decode()
    assert 'href="/agency/webhooks/">Open webhooks</a>' in notifications
    client.post(f"/agency/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None


def test_delete_after_a_confirmation(client, admin):
    endpoint = endpoint_of(admin.agency)
    client.force_login(admin.user)
    assert "Delete" in client.get(f"/agency/webhooks/{endpoint.pk}/delete/").content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    response = client.post(f"/agency/webhooks/{endpoint.pk}/delete/", follow=True)
    assert f"Endpoint {URL} deleted." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    assert AuditLog.objects.filter(action="webhook_endpoint.delete", actor=admin.user).exists()


def test_send_test_event_lists_a_pending_delivery(client, admin):
    endpoint = endpoint_of(admin.agency)
    client.force_login(admin.user)
    response = client.post(f"/agency/webhooks/{endpoint.pk}/test/", follow=True)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    page = response.content.decode()
    assert f"Test event {delivery.event_id} sent" in page
    assert delivery.event_id in page and "webhook.test" in page and "Pending" in page
    assert AuditLog.objects.filter(action="webhook_endpoint.test_event", actor=admin.user,
                                   object_id=str(endpoint.pk)).exists()


def test_the_log_filters_paginates_and_exports(client, admin):
    endpoint = endpoint_of(admin.agency)
    acme = SubAccountFactory(agency=admin.agency, name="Acme Dental")
    other = SubAccountFactory(agency=admin.agency, name="Bluebird")
    for _ in range(26):
        event_for(admin.agency, acme)
    low = event_for(admin.agency, other, type="wallet.low_balance")
    WebhookDelivery.objects.filter(event=low).update(status="failed", attempts=3,
                                                     last_status_code=500)
    client.force_login(admin.user)
    page = client.get(f"/agency/webhooks/{endpoint.pk}/").content.decode()
    assert low.id in page  # newest first
    assert "Page 1 of 2" in page
    second = client.get(f"/agency/webhooks/{endpoint.pk}/?type=credit.granted&page=2")
    assert "Page 2 of 2" in second.content.decode() and low.id not in second.content.decode()
    assert "type=credit.granted&amp;page=1" in second.content.decode()  # the filter stays
    failed = client.get(f"/agency/webhooks/{endpoint.pk}/?status=failed").content.decode()
    assert low.id in failed and "credit.granted" not in failed.split('id="deliveries"')[1]
    by_client = client.get(f"/agency/webhooks/{endpoint.pk}/?sub_account={other.pk}")
    assert low.id in by_client.content.decode()
    assert "Acme Dental</td>" not in by_client.content.decode()
    csv = client.get(f"/agency/webhooks/{endpoint.pk}/?status=failed&format=csv")
    lines = b"".join(csv.streaming_content if csv.streaming else [csv.content]).decode()
    lines = lines.strip().splitlines()
    assert lines[0].startswith("created_at,event_id,type,client,status")
    assert len(lines) == 2 and low.id in lines[1] and "Bluebird" in lines[1]


def test_a_delivery_shows_its_attempts_and_payload_and_is_resent_after_a_confirmation(
        client, admin):
    endpoint = endpoint_of(admin.agency)
    acme = SubAccountFactory(agency=admin.agency, name="Acme Dental")
    event = event_for(admin.agency, acme)
    delivery = WebhookDelivery.objects.get(event=event)
    now = timezone.now()
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=now, finished_at=now,
                                  status_code=500, latency_ms=87,
                                  response_excerpt="upstream exploded")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=1,
                                                          last_status_code=500)
    client.force_login(admin.user)
    log = client.get(f"/agency/webhooks/{endpoint.pk}/").content.decode()
    assert "87 ms" in log and "500" in log
    url = f"/agency/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/"
    page = client.get(url).content.decode()
    assert "upstream exploded" in page and "87 ms" in page
    assert event.id in page and "&quot;amount&quot;: &quot;5.00&quot;" in page
    assert "Send " in client.get(url + "resend/").content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    response = client.post(url + "resend/", follow=True)
    assert "will be sent again" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert AuditLog.objects.filter(action="webhook_delivery.resend", actor=admin.user).exists()


def test_agency_staff_read_but_do_not_change(client, admin, staff):
    endpoint = endpoint_of(admin.agency)
    delivery = webhook_test_event(endpoint=endpoint)
    client.force_login(staff.user)
    page = client.get("/agency/webhooks/").content.decode()
    assert URL in page and "Add an endpoint" not in page and "Rotate" not in page
    log = client.get(f"/agency/webhooks/{endpoint.pk}/").content.decode()
    assert delivery.event_id in log and "Send test event" not in log
    detail = client.get(f"/agency/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/")
    assert detail.status_code == 200 and "Resend" not in detail.content.decode()
    base = f"/agency/webhooks/{endpoint.pk}/"
    assert client.post("/agency/webhooks/", {"url": URL, "all_events": "on"}).status_code == 404
    for path in ("secret/", "rotate/", "enable/", "disable/", "delete/", "test/",
                 f"deliveries/{delivery.pk}/resend/"):
        assert client.post(base + path).status_code == 404, path
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1


def test_another_agencys_endpoint_and_delivery_are_404_everywhere(client, admin):
    foreign = endpoint_of(AgencyMembershipFactory().agency,
                          url="https://foreign.example.test/in")
    foreign_delivery = webhook_test_event(endpoint=foreign)
    own = endpoint_of(admin.agency)
    client.force_login(admin.user)
    base = f"/agency/webhooks/{foreign.pk}/"
    pages = ["", "secret/", "rotate/", "disable/", "delete/",
             f"deliveries/{foreign_delivery.pk}/", f"deliveries/{foreign_delivery.pk}/resend/"]
    for path in pages:
        assert client.get(base + path).status_code == 404, path
    for path in [*pages, "enable/", "test/"]:
        assert client.post(base + path).status_code == 404, path
    # the foreign delivery through the own endpoint's URL is not found either
    assert client.get(f"/agency/webhooks/{own.pk}/deliveries/{foreign_delivery.pk}/"
                      ).status_code == 404
    assert foreign.url not in client.get("/agency/webhooks/").content.decode()
    foreign.refresh_from_db()
    assert foreign.enabled and WebhookDelivery.objects.filter(endpoint=foreign).count() == 1


def test_a_client_admin_reaches_no_webhook_page(client, admin):
    endpoint = endpoint_of(admin.agency)
    delivery = webhook_test_event(endpoint=endpoint)
    member = ClientMembershipFactory(sub_account=SubAccountFactory(agency=admin.agency),
                                     role="admin", can_manage_billing=True)
    client.force_login(member.user)
    assert "/agency/webhooks/" not in client.get("/").content.decode()
    for path in ("/agency/webhooks/", f"/agency/webhooks/{endpoint.pk}/",
                 f"/agency/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/"):
        assert client.get(path).status_code == 404, path
