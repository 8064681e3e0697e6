"""The agency's admin page as this app re-registers it: the items a suspension blocks are
checked against the catalog (which `agencies` cannot see) before the operator's change is
saved, and wallets' page on top of it keeps the check."""

import pytest
from django.contrib import admin
from django.urls import reverse

from agencies.models import Agency
from hoopbilling.models import AuditLog
from subaccounts.admin import AgencyAdmin
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    client.force_login(UserFactory(username="ops@platform.test", is_staff=True,
                                   is_superuser=True))
    return client


def agency_form(agency, blocked):
    return {"name": agency.name, "plan_rebilling_allowed": "on", "rebilling_enabled": "on",
            "retry_schedule_hours": "[1, 6, 24]", "billing_anchor_day": "1",
            "suspension_blocked_items": blocked, "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0", "_save": "1"}


def test_the_registered_agency_page_has_the_catalog_check():
    assert isinstance(admin.site._registry[Agency], AgencyAdmin)


def test_blocked_items_must_be_catalog_codes(ops):
    agency = AgencyFactory()
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    response = ops.post(url, agency_form(agency, '["sms_outbound", "teleport"]'), follow=True)
    assert "Blocked items are a list of item codes." in response.content.decode()
    agency.refresh_from_db()
    assert agency.suspension_blocked_items == []
    assert not AuditLog.objects.filter(action="agency.operator_update").exists()
    ops.post(url, agency_form(agency, '["sms_outbound"]'))
    agency.refresh_from_db()
    assert agency.suspension_blocked_items == ["sms_outbound"]
    assert AuditLog.objects.get(action="agency.operator_update").after == {
        "suspension_blocked_items": ["sms_outbound"]}
