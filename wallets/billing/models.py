"""Billing periods, invoices and their lines, the invoice number counter and the agency's
statement of a closed period. Invoices, lines and statements are append-only (triggers)."""

import uuid
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import F, Q

from agencies.models import CURRENCY_CHOICES
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS, TOTAL_DIGITS
from subaccounts.models import SubAccount

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

    Balances and totals are whole cents (docs/api.md#money); each line keeps the exact
    6-decimal sum of its charges. closing = opening + topups + credits − refunds − usage +
    other movements. Credits (the agency's money) and refunds (back to the card) stand apart
    from paid top-ups; invoices issued before they did carry 0 for both and count them in
    `other_total`.
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
    # The period's sums: TOTAL_DIGITS, like every column that adds events up
    # (hoopbilling/money.py); the balances are one wallet's, within its column.
    usage_total = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    topups_total = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
    # The agency's credits to the client, and what was refunded to its card (both positive).
    credits_total = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2,
                                        default=0, db_default=0)
    refunds_total = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2,
                                        default=0, db_default=0)
    # Adjustments and reversals of the period (signed), so the balances reconcile.
    other_total = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2)
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
            models.CheckConstraint(condition=Q(credits_total__gte=0, refunds_total__gte=0),
                                   name="invoice_credits_refunds_not_negative"),
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
    item = models.ForeignKey("subaccounts.BillableItem", on_delete=models.PROTECT, related_name="+")
    # Sums over the period's charges: TOTAL_DIGITS and a bigint count (hoopbilling/money.py).
    quantity = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES)
    unit_price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                     null=True, blank=True)
    # [{"up_to", "price", "quantity", "amount"}] summed over the period's charges.
    tiers = models.JSONField(null=True, blank=True)
    amount = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES)
    charges = models.PositiveBigIntegerField()

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
    # Sums over every client's charges of the period (hoopbilling/money.py).
    base_cost_rebilled = models.DecimalField(max_digits=TOTAL_DIGITS,
                                             decimal_places=DECIMAL_PLACES)
    base_cost_absorbed = models.DecimalField(max_digits=TOTAL_DIGITS,
                                             decimal_places=DECIMAL_PLACES)
    revenue = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES)
    # The agency's credits to its clients in the period: its own money, which pays for part
    # of the usage counted in `revenue` (0 on statements written before credits existed).
    credits = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=DECIMAL_PLACES,
                                  default=0, db_default=0)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"Statement {self.period}"

    @property
    def platform_cost(self):
        return self.base_cost_rebilled + self.base_cost_absorbed

    @property
    def margin(self):
        return self.revenue - self.platform_cost

    @property
    def margin_after_credits(self):
        """What the agency kept once the credits it gave away are counted."""
        return self.margin - self.credits
