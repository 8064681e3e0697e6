"""The alert pages (agency default, a client's own, history with CSV), the notifications
page's read/unread and the nav's unread count; tenancy: another agency's client or alert is a
404, agency staff look but do not change, a client admin reaches none of them."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from tests.factories import (
    AgencyMembershipFactory,
    ClientMembershipFactory,
    SubAccountFactory,
)
from wallets.alerts.models import AlertSettings, FiredAlert, SpendAlert
from wallets.alerts.services import alert_settings_put
from wallets.payments.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return AgencyMembershipFactory()


def fired(sub, key, kind="spend"):
    return FiredAlert.objects.create(
        agency=sub.agency, sub_account=sub, kind=kind, dedupe_key=key,
        threshold=Money(Decimal("100"), "USD"), value=Money(Decimal("120"), "USD"),
        window="day" if kind == "spend" else "", window_start="2026-12-01" if kind == "spend"
        else None)


def test_agency_admin_sets_the_default_spend_alerts_and_levels(client, admin):
    client.force_login(admin.user)
    page = client.get("/agency/alerts/").content.decode()
    assert "No spend alerts" in page and "No alerts have fired yet" in page
    # add, with an error that names the field
    response = client.post("/agency/alerts/spend/", {"amount": "abc", "window": "day"},
                           follow=True)
    assert "Amount: Enter a number" in response.content.decode()
    response = client.post("/agency/alerts/spend/", {"amount": "250", "window": "week"},
                           follow=True)
    assert "Spend alert added." in response.content.decode()
    alert = SpendAlert.objects.get(settings__agency=admin.agency, settings__sub_account=None)
    assert (alert.amount, alert.window) == (Money(250, "USD"), "week")
    # edit, then delete after a confirmation page
    client.post(f"/agency/alerts/spend/{alert.pk}/", {"amount": "300", "window": "period"})
    alert.refresh_from_db()
    assert (alert.amount.amount, alert.window) == (Decimal(300), "period")
    confirm = client.get(f"/agency/alerts/spend/{alert.pk}/delete/")
    assert "Delete this spend alert?" in confirm.content.decode()
    assert SpendAlert.objects.filter(pk=alert.pk).exists()
    response = client.post(f"/agency/alerts/spend/{alert.pk}/delete/", follow=True)
    assert "Spend alert deleted." in response.content.decode()
    assert not SpendAlert.objects.exists()
    # levels, with an error naming the field
    response = client.post("/agency/alerts/", {"low_balance": "50, x"})
    assert "is not an amount" in response.content.decode()
    response = client.post("/agency/alerts/", {"low_balance": "5, 50, 20"}, follow=True)
    assert "Low-balance levels saved." in response.content.decode()
    assert AlertSettings.objects.get(agency=admin.agency).low_balance_levels == ["50", "20", "5"]


def test_a_client_uses_the_default_until_it_has_its_own(client, admin):
    sub = SubAccountFactory(agency=admin.agency)
    alert_settings_put(agency=admin.agency, spend=[{"amount": "100", "window": "day"}],
                       low_balance=["20"])
    client.force_login(admin.user)
    assert f"/agency/clients/{sub.pk}/alerts/" in client.get(
        f"/agency/clients/{sub.pk}/wallet/").content.decode()
    page = client.get(f"/agency/clients/{sub.pk}/alerts/").content.decode()
    assert "uses the agency's alerts" in page and "100.00" in page
    # its own, starting from the default
    client.post(f"/agency/clients/{sub.pk}/alerts/own/")
    own = AlertSettings.objects.get(sub_account=sub)
    assert own.low_balance_levels == ["20"] and own.spend_alerts.count() == 1
    client.post(f"/agency/clients/{sub.pk}/alerts/spend/", {"amount": "7", "window": "day"})
    client.post(f"/agency/clients/{sub.pk}/alerts/", {"low_balance": "3"})
    own.refresh_from_db()
    assert own.low_balance_levels == ["3"] and own.spend_alerts.count() == 2
    page = client.get(f"/agency/clients/{sub.pk}/alerts/").content.decode()
    assert "has alerts of its own" in page
    # back to the default, after a confirmation
    assert "Use the agency&#x27;s alerts for" in client.get(
        f"/agency/clients/{sub.pk}/alerts/reset/").content.decode()
    client.post(f"/agency/clients/{sub.pk}/alerts/reset/")
    assert not AlertSettings.objects.filter(sub_account=sub).exists()
    default = AlertSettings.objects.get(agency=admin.agency, sub_account=None)
    assert default.spend_alerts.count() == 1


def test_history_is_paginated_exported_and_scoped(client, admin):
    sub = SubAccountFactory(agency=admin.agency, name="Mine")
    other = SubAccountFactory(name="Theirs")
    for n in range(30):
        fired(sub, f"spend:{n}")
    fired(other, "spend:other")
    client.force_login(admin.user)
    page = client.get("/agency/alerts/").content.decode()
    assert "Page 1 of 2" in page and "Theirs" not in page
    export = client.get("/agency/alerts/?format=csv").content.decode().splitlines()
    assert export[0].startswith("created_at,client,kind") and len(export) == 31
    client_export = client.get(f"/agency/clients/{sub.pk}/alerts/?format=csv")
    assert len(client_export.content.decode().splitlines()) == 31


def test_another_agencys_client_and_alerts_are_404(client, admin):
    other = SubAccountFactory()
    theirs = alert_settings_put(agency=other.agency, spend=[{"amount": "5", "window": "day"}],
                                low_balance=[])
    alert = theirs.spend_alerts.get()
    client.force_login(admin.user)
    for url in [f"/agency/clients/{other.pk}/alerts/",
                f"/agency/clients/{other.pk}/alerts/?format=csv",
                f"/agency/clients/{other.pk}/alerts/reset/",
                f"/agency/alerts/spend/{alert.pk}/", f"/agency/alerts/spend/{alert.pk}/delete/"]:
        assert client.get(url).status_code == 404, url
    for url in [f"/agency/clients/{other.pk}/alerts/own/",
                f"/agency/clients/{other.pk}/alerts/spend/",
                f"/agency/alerts/spend/{alert.pk}/delete/"]:
        assert client.post(url, {"amount": "1", "window": "day"}).status_code == 404, url
    assert SpendAlert.objects.filter(pk=alert.pk).exists()
    assert not AlertSettings.objects.filter(sub_account=other).exists()


def test_staff_look_and_client_admins_are_refused(client, admin):
    sub = SubAccountFactory(agency=admin.agency)
    alert_settings_put(agency=admin.agency, spend=[{"amount": "5", "window": "day"}],
                       low_balance=[])
    staff = AgencyMembershipFactory(agency=admin.agency, role="staff")
    client.force_login(staff.user)
    page = client.get("/agency/alerts/")
    assert page.status_code == 200 and "Add spend alert" not in page.content.decode()
    assert client.post("/agency/alerts/", {"low_balance": "5"}).status_code == 404
    assert client.post("/agency/alerts/spend/", {"amount": "1", "window": "day"}).status_code == 404
    client_admin = ClientMembershipFactory(sub_account=sub)
    client.force_login(client_admin.user)
    for url in ["/agency/alerts/", f"/agency/clients/{sub.pk}/alerts/",
                "/agency/notifications/"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/agency/notifications/read/").status_code == 404
    assert "Alerts</a>" not in client.get(f"/client/{sub.pk}/payments/").content.decode()


def note(agency, sub=None, n=0, read=False):
    from django.utils import timezone

    return Notification.objects.create(agency=agency, sub_account=sub, kind="spend_alert",
                                       message=f"note {n}", dedupe_key=f"{agency.pk}:{n}",
                                       read_at=timezone.now() if read else None)


def test_notifications_read_unread_and_the_nav_count(client, admin):
    sub = SubAccountFactory(agency=admin.agency)
    notes = [note(admin.agency, sub, n) for n in range(3)]
    note(admin.agency, sub, 9, read=True)
    theirs = note(SubAccountFactory().agency, n=99)
    client.force_login(admin.user)
    page = client.get("/agency/notifications/").content.decode()
    assert 'id="nav-notifications"' in page and 'title="3 unread"' in page
    assert page.count('class="unread"') == 3 and page.count('class="read"') == 1
    # mark one read; another agency's is a 404 and stays unread
    client.post(f"/agency/notifications/{notes[0].pk}/read/")
    assert client.post(f"/agency/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    unread = client.get("/agency/notifications/?unread=1").content.decode()
    assert "note 1" in unread and "note 0" not in unread and "note 9" not in unread
    assert 'title="2 unread"' in unread
    # mark all read
    response = client.post("/agency/notifications/read/", follow=True).content.decode()
    assert "2 notifications marked read." in response and "badge" not in response.split(
        "</header>")[0]
    assert "Nothing unread" in client.get("/agency/notifications/?unread=1").content.decode()
    assert all(n.read_at for n in Notification.objects.filter(agency=admin.agency))


def test_the_nav_count_is_one_query_on_any_agency_page(client, admin):
    note(admin.agency)
    client.force_login(admin.user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/agency/keys/").content.decode()
    assert 'title="1 unread"' in page
    counts = [q["sql"] for q in queries.captured_queries if "wallets_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0] and "read_at" in counts[0]
