"""Every operator change through the admin goes through a service and writes an audit row;
the agency page shows the platform's bill. (Base costs: tests/subaccounts/pricing/test_admin.py.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, AgencyMembership
from hoopbilling.models import AuditLog
from subaccounts.models import SubAccount
from tests.admin.conftest import usage_charge
from tests.factories import AgencyFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def agency_form(agency, **changes):
    data = {"name": agency.name, "plan_rebilling_allowed": "on" if agency.plan_rebilling_allowed
            else "", "rebilling_enabled": "on" if agency.rebilling_enabled else "",
            "retry_schedule_hours": "[1, 6, 24]", "billing_anchor_day": "1",
            "suspension_blocked_items": "[]", "stripe_account_id": "",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0", "_save": "1"}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_wallet_settings_saved_in_the_admin_go_through_the_service(ops, operator):
    wallet = SubAccountFactory().wallet
    response = ops.post(reverse("admin:wallets_wallet_change", args=[wallet.pk]), {
        "enabled": "on", "threshold": "10", "topup_amount": "50", "max_balance": "200",
        "_save": "1"})
    assert response.status_code == 302
    wallet.refresh_from_db()
    assert wallet.auto_topup_enabled and wallet.auto_topup_amount.amount == Decimal("50")
    audit = AuditLog.objects.get(action="wallet.auto_topup_set")
    assert audit.actor == operator
    assert audit.before["enabled"] is False and audit.after["max_balance"] == "200"
    # a cap below the threshold is refused by the service: nothing changes, no audit row
    ops.post(reverse("admin:wallets_wallet_change", args=[wallet.pk]), {
        "enabled": "on", "threshold": "100", "topup_amount": "50", "max_balance": "20",
        "_save": "1"})
    wallet.refresh_from_db()
    assert wallet.auto_topup_threshold.amount == Decimal("10")
    assert AuditLog.objects.filter(action="wallet.auto_topup_set").count() == 1


def test_agency_plan_and_stripe_key_changes_are_audited_and_the_key_never_shown(ops, operator):
    agency = AgencyFactory(name="Northwind")
    secret = "rk_live_abcdefghijklmnop1234"
    response = ops.post(reverse("admin:agencies_agency_change", args=[agency.pk]), agency_form(
        agency, name="Northwind Media", plan_rebilling_allowed="", rebilling_enabled="",
        new_restricted_key=secret))
    assert response.status_code == 302
    agency.refresh_from_db()
    assert (agency.name, agency.plan_rebilling_allowed, agency.rebilling_enabled) == (
        "Northwind Media", False, False)
    assert agency.stripe_restricted_key == secret
    operator_row = AuditLog.objects.get(action="agency.operator_update")
    assert operator_row.actor == operator
    assert operator_row.after == {"plan_rebilling_allowed": False, "rebilling_enabled": False,
                                  "stripe_restricted_key": "set"}
    assert AuditLog.objects.get(action="agency.update").after == {"name": "Northwind Media"}
    page = ops.get(reverse("admin:agencies_agency_change", args=[agency.pk]))
    assert secret.encode() not in page.content and b"rk_live_\xe2\x80\xa61234" in page.content
    assert secret not in str(list(AuditLog.objects.values_list("before", "after")))


def test_an_agency_added_in_the_admin_is_created_by_the_service(ops):
    response = ops.post(reverse("admin:agencies_agency_add"), {
        "name": "Contoso", "currency": "EUR", "plan_rebilling_allowed": "on",
        "admin_email": "boss@contoso.test"})
    assert response.status_code == 302
    agency = Agency.objects.get(name="Contoso")
    assert agency.currency == "EUR" and agency.api_keys.count() == 1
    assert AgencyMembership.objects.get(agency=agency).user.email == "boss@contoso.test"
    assert AuditLog.objects.filter(action="agency.create", agency_id=agency.pk).exists()


def test_membership_edits_on_the_agency_page_are_audited(ops, operator):
    agency = AgencyFactory()
    user = UserFactory()
    ops.post(reverse("admin:agencies_agency_change", args=[agency.pk]), agency_form(agency, **{
        "memberships-TOTAL_FORMS": "1", "memberships-0-user": str(user.pk),
        "memberships-0-role": "staff", "memberships-0-agency": str(agency.pk)}))
    assert AgencyMembership.objects.filter(agency=agency, user=user).exists()
    row = AuditLog.objects.get(action="agencymembership.admin_add")
    assert row.actor == operator and row.agency_id == agency.pk
    assert row.after["role"] == "staff"


def test_sub_account_edits_go_through_the_service(ops, operator):
    sub_account = SubAccountFactory()
    ops.post(reverse("admin:subaccounts_subaccount_change", args=[sub_account.pk]), {
        "name": sub_account.name, "itemised_usage_visible": "on",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0", "_save": "1"})
    sub_account.refresh_from_db()
    assert not sub_account.rebilling_enabled
    row = AuditLog.objects.get(action="subaccount.update")
    assert (row.actor, row.before, row.after) == (
        operator, {"rebilling_enabled": True}, {"rebilling_enabled": False})


def test_audit_log_lists_filters_and_searches(ops):
    sub_account = SubAccountFactory()
    other = SubAccountFactory()
    SubAccount.objects.filter(pk=other.pk)  # another agency's rows must not show
    url = reverse("admin:hoopbilling_auditlog_changelist")
    by_agency = ops.get(url, {"agency_id": str(sub_account.agency_id)})
    rows = list(by_agency.context["cl"].result_list)
    assert rows and all(r.agency_id == sub_account.agency_id for r in rows)
    by_action = ops.get(url, {"action": "subaccount.create", "q": str(other.pk)})
    assert [r.object_id for r in by_action.context["cl"].result_list] == [str(other.pk)]
    by_actor = ops.get(url, {"actor_label": "system"})
    assert by_actor.status_code == 200 and by_actor.context["cl"].result_count >= 2


def test_agency_page_shows_the_platform_bill_for_the_current_and_previous_period(ops):
    sub_account = SubAccountFactory()
    agency = sub_account.agency
    now = timezone.now()
    usage_charge(sub_account=sub_account, amount="2", base_cost="1.25")
    usage_charge(sub_account=sub_account, billed_to="agency", base_cost="0.50")
    usage_charge(sub_account=sub_account, base_cost="7.00",
                 occurred_at=now.replace(day=1) - timedelta(days=3))
    page = ops.get(reverse("admin:agencies_agency_change", args=[agency.pk]))
    html = page.content.decode()
    current, previous = html.split("Current period (so far)")[1].split("Previous period")
    assert "1.250000" in current and "0.500000" in current and "1.750000" in current
    assert "7.000000" in previous and "7.000000" not in current
