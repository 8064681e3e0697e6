"""`POST·GET /api/v1/webhook-endpoints`, `DELETE /webhook-endpoints/{id}` and `POST
/webhook-endpoints/{id}/rotate`: the secret answered once, errors naming `url` or `events`,
private URLs refused with the switch off, and another agency's endpoint a 404."""

import pytest

from hoopbilling.models import AuditLog
from tests.factories import ApiKeyFactory, SubAccountFactory
from wallets.webhooks.models import WebhookEndpoint
from wallets.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/hoopbilling"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """hooks.example.com resolves to a public address (no DNS needed to run the tests)."""
    import socket

    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_create_answers_the_secret_once_and_the_list_never(api):
    response = api.post("/api/v1/webhook-endpoints",
                        {"url": URL, "events": ["topup.failed", "invoice.issued"]},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == URL and body["events"] == ["topup.failed", "invoice.issued"]
    assert body["secret"].startswith("whsec_") and body["id"]
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.secret == body["secret"] and endpoint.agency == api.agency
    assert AuditLog.objects.filter(action="webhook_endpoint.create",
                                   object_id=body["id"]).exists()
    listed = api.get("/api/v1/webhook-endpoints").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0] and body["secret"] not in str(listed)


def test_every_type_is_star(api):
    response = api.post("/api/v1/webhook-endpoints", {"url": URL, "events": ["*"]},
                        format="json")
    assert response.status_code == 201 and response.json()["events"] == ["*"]


@pytest.mark.parametrize(("body", "field"), [
    ({"url": URL, "events": ["topup.exploded"]}, "events"),
    ({"url": URL, "events": []}, "events"),
    ({"url": URL, "events": "topup.failed"}, "events"),
    ({"url": URL}, "events"),
    ({"events": ["*"]}, "url"),
    ({"url": "ftp://hooks.example.com/x", "events": ["*"]}, "url"),
    ({"url": "http://hooks.example.com/x", "events": ["*"]}, "url"),
    ({"url": "https://10.1.2.3/x", "events": ["*"]}, "url"),
    ({"url": "https://127.0.0.1/x", "events": ["*"]}, "url"),
    ({"url": "https://169.254.169.254/latest/meta-data", "events": ["*"]}, "url"),
    ({"url": "https://[::1]/x", "events": ["*"]}, "url"),
    ({"url": "https://localhost/x", "events": ["*"]}, "url"),
    ({"url": URL, "events": ["*"], "secret": "mine"}, "secret"),
    ({"url": "https://exa mple.com/x", "events": ["*"]}, "url"),
    ({"url": "https://hooks.example.com/" + "x" * 2100, "events": ["*"]}, "url"),
    ({"url": ["https://hooks.example.com/"], "events": ["*"]}, "url"),
])
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    response = api.post("/api/v1/webhook-endpoints", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_the_switch_allows_a_loopback_receiver(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    response = api.post("/api/v1/webhook-endpoints",
                        {"url": "http://127.0.0.1:8080/x", "events": ["*"]}, format="json")
    assert response.status_code == 201


def test_delete_removes_the_endpoint(api):
    endpoint, _ = webhook_endpoint_create(agency=api.agency, url=URL, events=["*"])
    assert api.delete(f"/api/v1/webhook-endpoints/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert api.delete(f"/api/v1/webhook-endpoints/{endpoint.pk}").status_code == 404


def test_rotate_answers_a_new_secret_and_keeps_the_old_one_for_the_overlap(api):
    endpoint, old = webhook_endpoint_create(agency=api.agency, url=URL, events=["*"])
    response = api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate",
                        {"overlap_hours": 2}, format="json")
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert response.json()["secret"] == endpoint.secret != old
    assert endpoint.previous_secret == old and endpoint.previous_secret_expires_at
    bad = api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate", {"overlap_hours": 999},
                   format="json")
    assert bad.status_code == 400 and "overlap_hours" in bad.json()["error"]["fields"]


def test_another_agency_s_endpoint_is_a_404_everywhere(api):
    foreign, _ = webhook_endpoint_create(agency=SubAccountFactory().agency, url=URL,
                                         events=["*"])
    assert api.get("/api/v1/webhook-endpoints").json() == []
    assert api.delete(f"/api/v1/webhook-endpoints/{foreign.pk}").status_code == 404
    assert api.post(f"/api/v1/webhook-endpoints/{foreign.pk}/rotate").status_code == 404
    foreign.refresh_from_db()
    assert WebhookEndpoint.objects.filter(pk=foreign.pk).exists()
    assert foreign.previous_secret == ""


def test_without_a_key_nothing_is_answered(client):
    ApiKeyFactory()
    assert client.get("/api/v1/webhook-endpoints").status_code in (401, 403)
