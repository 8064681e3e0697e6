"""`GET·PUT /api/v1/alerts` and `GET·PUT·DELETE /api/v1/subaccounts/{id}/alerts`: amounts as
strings, the client's source (own or agency), errors naming the field, tenancy 404; and the
usage API's charges firing alerts through the task enqueued after the commit."""

from decimal import Decimal

import pytest
from django.core import mail

from tests.factories import (
    AgencyMembershipFactory,
    AgencyPriceFactory,
    SubAccountFactory,
    UserFactory,
    wallet_with_card,
)
from wallets.alerts.models import FiredAlert
from wallets.payments.models import Notification

pytestmark = pytest.mark.django_db

BODY = {"spend": [{"amount": "100.50", "window": "day"}, {"amount": "1000", "window": "period"}],
        "low_balance": ["5", "50", "20"]}


def test_agency_default_put_and_get(api):
    assert api.get("/api/v1/alerts").json() == {"source": "agency", "currency": "USD",
                                                "spend": [], "low_balance": []}
    response = api.put("/api/v1/alerts", BODY, format="json")
    assert response.status_code == 200, response.content
    expected = {"source": "agency", "currency": "USD",
                "spend": [{"amount": "100.5", "window": "day"},
                          {"amount": "1000", "window": "period"}],
                "low_balance": ["50", "20", "5"]}
    assert response.json() == expected
    assert api.get("/api/v1/alerts").json() == expected


@pytest.mark.parametrize(("body", "field"), [
    ({"spend": [{"amount": 10.5, "window": "day"}], "low_balance": []}, "spend.0.amount"),
    ({"spend": [{"amount": "10", "window": "month"}], "low_balance": []}, "spend.0.window"),
    ({"spend": [{"amount": "0", "window": "day"}], "low_balance": []}, "spend.0.amount"),
    ({"spend": [], "low_balance": ["-1"]}, "low_balance.0"),
    ({"spend": [], "low_balance": ["5"], "extra": 1}, "extra"),
    ({"spend": []}, "low_balance"),
])
def test_bad_bodies_answer_400_naming_the_field(api, body, field):
    response = api.put("/api/v1/alerts", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"], response.json()


def test_a_clients_own_alerts_and_back_to_the_default(api):
    sub = SubAccountFactory(agency=api.agency)
    api.put("/api/v1/alerts", BODY, format="json")
    url = f"/api/v1/subaccounts/{sub.pk}/alerts"
    assert api.get(url).json()["source"] == "agency"
    response = api.put(url, {"spend": [], "low_balance": ["10"]}, format="json")
    assert response.json() == {"source": "own", "currency": "USD", "spend": [],
                               "low_balance": ["10"]}
    response = api.delete(url)
    assert response.status_code == 200
    assert response.json()["source"] == "agency"
    assert response.json()["low_balance"] == ["50", "20", "5"]


def test_another_agencys_client_is_404(api):
    other = SubAccountFactory()
    url = f"/api/v1/subaccounts/{other.pk}/alerts"
    for response in (api.get(url), api.put(url, BODY, format="json"), api.delete(url)):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/subaccounts/not-a-uuid/alerts").status_code == 404


@pytest.mark.usefixtures("eager_celery", "mail_server")
def test_usage_through_the_api_fires_a_spend_alert_once(api, django_capture_on_commit_callbacks):
    # given a client with 10 of funds and an agency alert at 0.03 of usage a day
    wallet = wallet_with_card(agency=api.agency, balance="10")
    AgencyMembershipFactory(agency=api.agency, user=UserFactory(username="boss@agency.test"))
    AgencyPriceFactory(agency=api.agency)  # sms_outbound at 0.015
    api.put("/api/v1/alerts", {"spend": [{"amount": "0.03", "window": "day"}],
                               "low_balance": []}, format="json")

    def sms(key):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/usage", {
                "sub_account": str(wallet.sub_account_id), "item": "sms_outbound",
                "quantity": "1", "idempotency_key": key}, format="json")
        assert response.status_code == 201, response.content

    # when it sends three messages (0.045)
    for n in range(3):
        sms(f"sms-{n}")
    # then the agency was alerted once, in the app and by email
    assert FiredAlert.objects.filter(kind="spend").count() == 1
    assert Notification.objects.get(kind="spend_alert").message.startswith(
        f"{wallet.sub_account.name} has spent 0.03 USD today")
    assert [m.to for m in mail.outbox] == [["boss@agency.test"]]


@pytest.mark.usefixtures("eager_celery", "mail_server")
def test_absorbed_usage_enqueues_nothing_and_fires_nothing(
        api, django_capture_on_commit_callbacks, monkeypatch):
    from wallets.alerts import receivers

    enqueued = []
    monkeypatch.setattr(receivers, "task_enqueue", lambda task, *args: enqueued.append(args))
    sub = SubAccountFactory(agency=api.agency, rebilling_enabled=False)
    AgencyPriceFactory(agency=api.agency)
    api.put("/api/v1/alerts", {"spend": [{"amount": "0.01", "window": "day"}],
                               "low_balance": ["1"]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/usage", {"sub_account": str(sub.pk), "item": "sms_outbound",
                                   "quantity": "10", "idempotency_key": "k"}, format="json")
    assert not FiredAlert.objects.exists()
    assert sub.wallet.balance.amount == Decimal(0)
    assert enqueued == []


def test_settings_changes_are_audited(api):
    from hoopbilling.models import AuditLog

    api.put("/api/v1/alerts", BODY, format="json")
    api.put("/api/v1/alerts", {"spend": [], "low_balance": ["1"]}, format="json")
    rows = list(AuditLog.objects.filter(action="alerts.set").order_by("id"))
    assert [r.before for r in rows] == [
        {"spend": [], "low_balance": []},
        {"spend": [{"amount": "100.5", "window": "day"}, {"amount": "1000", "window": "period"}],
         "low_balance": ["50", "20", "5"]}]
    assert rows[1].after == {"spend": [], "low_balance": ["1"]}
    assert all(r.agency_id == api.agency.pk for r in rows)


@pytest.mark.usefixtures("mail_server")
def test_usage_of_an_agency_without_alerts_enqueues_no_check_and_one_per_client_waits(
        api, django_capture_on_commit_callbacks, monkeypatch):
    from wallets.alerts import receivers

    enqueued = []
    monkeypatch.setattr(receivers, "task_enqueue", lambda task, *args: enqueued.append(args))
    wallet = wallet_with_card(agency=api.agency, balance="10")
    AgencyPriceFactory(agency=api.agency)

    def sms(key):
        with django_capture_on_commit_callbacks(execute=True):
            api.post("/api/v1/usage", {"sub_account": str(wallet.sub_account_id),
                                       "item": "sms_outbound", "quantity": "1",
                                       "idempotency_key": key}, format="json")

    sms("a")
    assert enqueued == []  # no settings: the usage path does nothing for alerts
    api.put("/api/v1/alerts", {"spend": [], "low_balance": ["5"]}, format="json")
    sms("b")
    sms("c")  # the first check still waits: no second one
    assert enqueued == [([str(wallet.sub_account_id)],)]
