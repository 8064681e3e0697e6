from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from moneyed import Money

from tests.factories import BillableItemFactory, SubAccountFactory, UsageChargeFactory
from wallets.usage.models import UsageCharge, UsageDaily
from wallets.usage.signals import UsageFacts, usage_recorded

pytestmark = pytest.mark.django_db


def test_rollups_equal_the_raw_charges_per_client_item_day_and_payer():
    client = SubAccountFactory()
    sms = BillableItemFactory(code="sms_outbound")
    call = BillableItemFactory(code="call_outbound")
    for quantity in ("1", "2", "3"):
        UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal(quantity),
                           unit_price=Decimal("0.0237"), base_cost_unit=Decimal("0.0079"))
    UsageChargeFactory(sub_account=client, item=call, quantity=Decimal("4"),
                       unit_price=Decimal("0.05"))
    UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal("5"),
                       unit_price=Decimal("0.0079"), base_cost_unit=Decimal("0.0079"),
                       billed_to=UsageCharge.BilledTo.AGENCY)
    raw = {(row["item_id"], row["billed_to"]): row for row in
           UsageCharge.objects.values("item_id", "billed_to").annotate(
               quantity=Sum("quantity"), amount=Sum("amount"), base_cost=Sum("base_cost_amount"),
               count=Count("id"))}
    rolled = {(row.item_id, row.billed_to): row for row in UsageDaily.objects.all()}
    assert rolled.keys() == raw.keys() == {("sms_outbound", "wallet"), ("call_outbound", "wallet"),
                                           ("sms_outbound", "agency")}
    for key, row in rolled.items():
        assert (row.quantity, row.amount, row.base_cost, row.count) == (
            raw[key]["quantity"], raw[key]["amount"], raw[key]["base_cost"], raw[key]["count"])
        assert row.day == timezone.now().date() and row.sub_account_id == client.pk
    assert rolled[("sms_outbound", "wallet")].amount == Decimal("0.142200")


def test_one_batch_with_repeated_keys_is_added_once_per_row():
    client = SubAccountFactory(rebilling_enabled=False)
    item = BillableItemFactory(code="content_ai")
    charges = []
    with transaction.atomic():
        for n in range(3):
            charges.append(UsageCharge.objects.create(
                agency=client.agency, sub_account=client, item=item, idempotency_key=f"k{n}",
                fingerprint="0" * 64, occurred_at=timezone.now(), quantity=Decimal("10"),
                unit_price=Money("0.001", "USD"), amount=Money("0.01", "USD"),
                base_cost_unit=Money("0.0005", "USD"), base_cost_amount=Money("0.005", "USD"),
                price_source="agency", billed_to="agency"))
        usage_recorded.send(sender=UsageCharge, charges=[UsageFacts.of(c) for c in charges])
    row = UsageDaily.objects.get()
    assert (row.quantity, row.amount, row.base_cost, row.count) == (
        Decimal("30"), Decimal("0.03"), Decimal("0.015"), 3)
