"""The catalog's base costs in the operators' admin: effective-dated, scheduled through
`base_cost_set` and audited, never changed or deleted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from hoopbilling.models import AuditLog
from subaccounts.pricing.models import BaseCost

pytestmark = pytest.mark.django_db


def test_a_future_base_cost_is_scheduled_through_the_service_and_audited(ops, operator):
    starts = timezone.now() + timedelta(days=10)
    response = ops.post(reverse("admin:subaccounts_basecost_add"), {
        "item": "sms_outbound", "currency": "USD", "amount": "0.0091",
        "effective_from_0": f"{starts:%Y-%m-%d}", "effective_from_1": f"{starts:%H:%M:%S}"})
    assert response.status_code == 302
    row = BaseCost.objects.get(item_id="sms_outbound", cost_currency="USD",
                               effective_from__gt=timezone.now())
    assert row.cost.amount == Decimal("0.0091") and row.created_by == operator
    audit = AuditLog.objects.get(action="base_cost.set")
    assert audit.actor == operator and audit.after["cost"] == "0.0091"
    assert audit.before == {"cost": "0.007900"}
    # the list says which cost is in force and which is scheduled
    listing = ops.get(reverse("admin:subaccounts_basecost_changelist"),
                      {"item__code__exact": "sms_outbound", "cost_currency": "USD"})
    assert b"scheduled" in listing.content and b"in force" in listing.content
    item_page = ops.get(reverse("admin:subaccounts_billableitem_change", args=["sms_outbound"]))
    assert b"0.0091" in item_page.content
    # past and current costs are never changed or deleted
    current = BaseCost.objects.filter(item_id="sms_outbound", cost_currency="USD").last()
    change = reverse("admin:subaccounts_basecost_change", args=[current.pk])
    assert ops.post(change, {"amount": "0"}).status_code == 403
    assert ops.post(reverse("admin:subaccounts_basecost_delete", args=[current.pk]),
                    {"post": "yes"}).status_code == 403


def test_a_negative_base_cost_is_refused_and_nothing_written(ops):
    before = BaseCost.objects.count()
    response = ops.post(reverse("admin:subaccounts_basecost_add"), {
        "item": "sms_outbound", "currency": "USD", "amount": "-1"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert BaseCost.objects.count() == before


def test_audit_rows_written_before_the_move_still_link_to_their_object(ops):
    row = BaseCost.objects.first()
    AuditLog.objects.create(action="base_cost.set", object_type="agencies.basecost",
                            object_id=str(row.pk), actor_label="system")
    page = ops.get(reverse("admin:hoopbilling_auditlog_changelist")).content.decode()
    assert reverse("admin:subaccounts_basecost_change", args=[row.pk]) in page
