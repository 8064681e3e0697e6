"""Usage as recorded: one charge per event, the period's running counters that tiers
price against, and the daily roll-ups the dashboard and statements read."""

import uuid

from django.db import models
from django.db.models import Q

from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS, TOTAL_DIGITS
from subaccounts.models import SubAccount
from wallets.ledger.models import Entry, money_field


class UsageCharge(models.Model):
    """One usage event as charged: what was used, at which price and why.

    Written by `usage_record` whether the usage is rebilled (debits the wallet: `entry`) or
    absorbed by the agency (`billed_to="agency"`, no entry). The platform's base cost is
    recorded either way, so the agency's own bill is exact.
    """

    class BilledTo(models.TextChoices):
        WALLET = "wallet"
        AGENCY = "agency"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes on the foreign keys: the composite indexes below lead with
    # agency and sub_account, and nothing looks charges up by item alone. Each index is
    # written on every usage event.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT,
                                    related_name="usage_charges", db_index=False)
    item = models.ForeignKey("subaccounts.BillableItem", on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    # Keys are scoped to the agency (docs/api.md#usage); the fingerprint tells a replay of
    # the same event from another event under the same key.
    idempotency_key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    quantity = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    # Flat price per item.price_per units, or None when tiers applied (see `tier_breakdown`).
    unit_price = money_field(null=True, blank=True)
    amount = money_field()
    base_cost_unit = money_field()
    base_cost_amount = money_field()
    price_source = models.CharField(max_length=12)
    # Graduated tiers applied, in order: [{"up_to": "10000"|null, "price": "0.90",
    # "quantity": "12", "amount": "0.000108"}, ...]; prices per item.price_per units.
    tier_breakdown = models.JSONField(null=True, blank=True)
    # How the quantity was measured: SMS encoding and segments, call seconds, words.
    details = models.JSONField(default=dict, blank=True)
    billed_to = models.CharField(max_length=6, choices=BilledTo.choices)
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="usage_charge")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "idempotency_key"],
                                    name="usage_key_unique_per_agency"),
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="usage_quantity_not_negative"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="usage_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(billed_to="agency", entry__isnull=True)
                | Q(billed_to="wallet", entry__isnull=False)
                | Q(billed_to="wallet", amount=0),
                name="usage_wallet_charge_has_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["sub_account", "item", "occurred_at"], name="usage_client_item"),
            models.Index(fields=["agency", "occurred_at"], name="usage_agency_time"),
        ]

    def __str__(self):
        return f"{self.item_id} × {self.quantity} = {self.amount}"


class UsageDaily(models.Model):
    """Daily roll-up of usage per client × item × day × who pays, kept by the `usage_recorded`
    receiver in the usage transaction (an upsert), so the dashboard never scans raw usage.

    `day` is the UTC date the usage reached the ledger (same attribution as invoices).
    """

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("subaccounts.BillableItem", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    billed_to = models.CharField(max_length=6, choices=UsageCharge.BilledTo.choices)
    # Sums of a day's charges: TOTAL_DIGITS and a bigint count, wide enough for any number
    # of events (the arithmetic is in hoopbilling/money.py).
    quantity = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES)
    amount = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES)
    base_cost = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES)
    count = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sub_account", "item", "day", "billed_to"],
                                    name="usage_daily_unique"),
        ]
        indexes = [models.Index(fields=["agency", "day"], name="usage_daily_agency_day")]

    def __str__(self):
        return f"{self.day} {self.item_id} × {self.quantity}"


class UsageCounter(models.Model):
    """A client's running quantity of one item in one billing period.

    Graduated tiers apply to this cumulative quantity (docs/api.md#pricing). `usage_record`
    reads and writes it under the client's wallet lock, so pricing an event costs one row,
    not a SUM over the period's usage.
    """

    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT,
                                    related_name="usage_counters")
    item = models.ForeignKey("subaccounts.BillableItem", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    # The period's sum of the client's events of the item: TOTAL_DIGITS holds any number of
    # them at QUANTITY_MAX each (hoopbilling/money.py).
    quantity = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES,
                                   default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sub_account", "item", "period_start"],
                                    name="usage_counter_unique_period"),
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="usage_counter_not_negative"),
        ]

    def __str__(self):
        return f"{self.item_id} from {self.period_start:%Y-%m-%d}: {self.quantity}"
