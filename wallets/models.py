"""Wallets and their append-only ledger.

A wallet's `balance` is a cache of the sum of its entries. It changes only in the transaction
that appends an entry, under the wallet's row lock (`wallets.ledger`). Entries are never
updated or deleted: the database refuses it (triggers in migration 0002), and each entry
carries a SHA-256 chained to the previous entry of its wallet so that a change made behind
the database's back is still found by `verify_ledger`.
"""

import uuid
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField

from agencies.models import CURRENCY_CHOICES
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS
from subaccounts.models import SubAccount

GENESIS_HASH = "0" * 64


def _money(**kwargs):
    return MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                      currency_choices=CURRENCY_CHOICES, **kwargs)


class Wallet(models.Model):
    sub_account = models.OneToOneField(SubAccount, on_delete=models.PROTECT,
                                       related_name="wallet")
    balance = _money(default=0)
    auto_topup_enabled = models.BooleanField(default=False)
    auto_topup_threshold = _money(default=0)
    auto_topup_amount = _money(default=0)
    auto_topup_max_balance = _money(null=True, blank=True)
    # The chain's head: seq and hash of the last entry (0 and GENESIS_HASH when empty).
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(last_seq__gte=0), name="wallet_seq_not_negative"),
            models.CheckConstraint(condition=Q(auto_topup_threshold__gte=0),
                                   name="wallet_threshold_not_negative"),
            models.CheckConstraint(condition=Q(auto_topup_amount__gte=0),
                                   name="wallet_topup_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(auto_topup_max_balance__isnull=True)
                | Q(auto_topup_max_balance__gte=F("auto_topup_threshold")),
                name="wallet_cap_not_below_threshold",
            ),
            models.CheckConstraint(
                condition=Q(auto_topup_threshold_currency=F("balance_currency"),
                            auto_topup_amount_currency=F("balance_currency"))
                & (Q(auto_topup_max_balance__isnull=True)
                   | Q(auto_topup_max_balance_currency=F("balance_currency"))),
                name="wallet_settings_in_wallet_currency",
            ),
        ]

    def __str__(self):
        return f"Wallet of {self.sub_account}"

    @property
    def currency(self) -> str:
        return self.balance.currency.code


class Entry(models.Model):
    class Kind(models.TextChoices):
        USAGE = "usage", "Usage charge"
        TOPUP = "topup", "Top-up"
        ADJUSTMENT = "adjustment", "Adjustment"
        REFUND = "refund", "Refund"
        REVERSAL = "reversal", "Reversal"

    # Indexed by the unique (wallet, seq) that leads with it.
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries",
                               db_index=False)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = _money()
    balance_after = _money()
    idempotency_key = models.CharField(max_length=300, unique=True)
    # What caused the entry, e.g. ("usage_charge", "<uuid>") or ("topup", "<uuid>").
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    memo = models.CharField(max_length=255, blank=True)
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["wallet", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "seq"], name="entry_seq_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="entry_seq_positive"),
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(amount_currency=F("balance_after_currency")),
                name="entry_one_currency",
            ),
            # Usage only takes money out, top-ups only put it in, refunds send it back to the
            # card; adjustments and reversals may go either way.
            models.CheckConstraint(
                condition=(Q(kind="usage", amount__lt=0) | Q(kind="topup", amount__gt=0)
                           | Q(kind="refund", amount__lt=0)
                           | Q(kind__in=["adjustment", "reversal"])),
                name="entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["usage", "topup", "adjustment", "refund", "reversal"]),
                name="entry_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", corrects__isnull=False) | ~Q(kind="reversal"),
                name="entry_reversal_points_at_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["reference_type", "reference_id"], name="entry_reference"),
            # Period totals and date filters of the usage ledger (monitoring).
            models.Index(fields=["wallet", "created_at", "seq"], name="entry_wallet_time"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.amount}"


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
    item = models.ForeignKey("agencies.BillableItem", on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    # Keys are scoped to the agency (CONTRACT section 5); the fingerprint tells a replay of
    # the same event from another event under the same key.
    idempotency_key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    quantity = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    # Flat price per item.price_per units, or None when tiers applied (see `tier_breakdown`).
    unit_price = _money(null=True, blank=True)
    amount = _money()
    base_cost_unit = _money()
    base_cost_amount = _money()
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


# --- Monitoring: billing periods, invoices, statements and daily usage roll-ups ------------


def last_day(end: datetime) -> date:
    """The last day a period ending (exclusively) at `end` covers: pages show periods as
    first day – last day, so that two periods never seem to share a day."""
    return (end - timedelta(microseconds=1)).date()


class BillingPeriod(models.Model):
    """One monthly billing period of an agency, [start, end) from its anchor day.

    Usage belongs to the period in which it reached the ledger (the entry's `created_at`), so a
    late event for a closed period lands on the next invoice instead of changing an issued one.
    """

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                               related_name="billing_periods")
    start = models.DateTimeField()
    end = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "start"], name="period_unique_start"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="period_end_after_start"),
        ]

    def __str__(self):
        return f"{self.start:%Y-%m-%d} – {self.last_day:%Y-%m-%d}"

    @property
    def last_day(self) -> date:
        """The period's last whole day (`end` is the next period's first moment)."""
        return last_day(self.end)


class InvoiceCounter(models.Model):
    """The last invoice number issued by an agency: locked (select_for_update) while a number
    is taken, so numbers are gapless and never shared even when periods close concurrently."""

    agency = models.OneToOneField("agencies.Agency", on_delete=models.PROTECT, primary_key=True,
                                  related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.agency_id}: {self.last_number}"


class Invoice(models.Model):
    """An issued invoice: immutable (the database refuses UPDATE and DELETE).

    Balances and totals are whole cents (CONTRACT section 4); each line keeps the exact
    6-decimal sum of its charges. closing = opening + topups − usage + other movements.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT,
                                    related_name="invoices")
    period = models.ForeignKey(BillingPeriod, on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    opening_balance = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2)
    closing_balance = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2)
    usage_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2)
    topups_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2)
    # Adjustments, refunds and reversals of the period (signed), so the balances reconcile.
    other_total = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="invoice_number_unique"),
            models.UniqueConstraint(fields=["period", "sub_account"],
                                    name="invoice_one_per_client_period"),
            models.CheckConstraint(condition=Q(number__gte=1), name="invoice_number_positive"),
            models.CheckConstraint(condition=Q(usage_total__gte=0, topups_total__gte=0),
                                   name="invoice_totals_not_negative"),
        ]
        indexes = [models.Index(fields=["sub_account", "-period_start"],
                                name="invoice_client_period")]

    def __str__(self):
        return f"Invoice {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.number:06d}"

    @property
    def period_last_day(self) -> date:
        return last_day(self.period_end)


class InvoiceLine(models.Model):
    """One item (at one flat price, or with its tier breakdown) on an invoice. Immutable."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    item = models.ForeignKey("agencies.BillableItem", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    unit_price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                     null=True, blank=True)
    # [{"up_to", "price", "quantity", "amount"}] summed over the period's charges.
    tiers = models.JSONField(null=True, blank=True)
    amount = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    charges = models.PositiveIntegerField()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=Q(unit_price__isnull=True) | Q(tiers__isnull=True),
                                   name="invoice_line_flat_xor_tiers"),
        ]

    def __str__(self):
        return f"{self.item_id} × {self.quantity} = {self.amount}"


class AgencyStatement(models.Model):
    """What the platform charges an agency for a closed period (the base cost of all usage,
    rebilled and absorbed), its revenue from clients and its margin. Immutable."""

    period = models.OneToOneField(BillingPeriod, on_delete=models.PROTECT,
                                  related_name="statement")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    base_cost_rebilled = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    base_cost_absorbed = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    revenue = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"Statement {self.period}"

    @property
    def platform_cost(self):
        return self.base_cost_rebilled + self.base_cost_absorbed

    @property
    def margin(self):
        return self.revenue - self.platform_cost


class UsageDaily(models.Model):
    """Daily roll-up of usage per client × item × day × who pays, kept by the `usage_recorded`
    receiver in the usage transaction (an upsert), so the dashboard never scans raw usage.

    `day` is the UTC date the usage reached the ledger (same attribution as invoices).
    """

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("agencies.BillableItem", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    billed_to = models.CharField(max_length=6, choices=UsageCharge.BilledTo.choices)
    quantity = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    amount = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    base_cost = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    count = models.PositiveIntegerField()

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

    Graduated tiers apply to this cumulative quantity (CONTRACT section 4). `usage_record`
    reads and writes it under the client's wallet lock, so pricing an event costs one row,
    not a SUM over the period's usage.
    """

    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT,
                                    related_name="usage_counters")
    item = models.ForeignKey("agencies.BillableItem", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    quantity = models.DecimalField(max_digits=24, decimal_places=DECIMAL_PLACES, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sub_account", "item", "period_start"],
                                    name="usage_counter_unique_period"),
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="usage_counter_not_negative"),
        ]

    def __str__(self):
        return f"{self.item_id} from {self.period_start:%Y-%m-%d}: {self.quantity}"


# Top-ups, payment events and notifications live in their own module; importing them here
# registers them with the app.
from .payment_models import Notification, PaymentEvent, SandboxCharge, TopUp  # noqa: E402,F401,I001
from .payment_models import TopUpAttempt  # noqa: E402,F401
