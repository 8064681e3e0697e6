"""Billing periods, period close, invoices and the agency's statement.

A period is [start, end) from the agency's anchor day (`agencies.periods.period_bounds`).
Money belongs to the period in which it reached the ledger (`Entry.created_at`); usage
absorbed by the agency (no entry) by its `UsageCharge.created_at`. Closing a period issues one
invoice per rebilled client and the agency's statement; it is idempotent: a period closed
twice issues nothing new, and concurrent closes never share or skip a number because numbers
are taken under the agency's `InvoiceCounter` row lock, in the invoice's own transaction.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agencies.models import Agency
from agencies.periods import period_bounds
from hoopbilling.money import quantize_amount, to_minor_units
from subaccounts.models import SubAccount

from .models import (
    AgencyStatement,
    BillingPeriod,
    Entry,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    UsageCharge,
    UsageDaily,
    Wallet,
)

ZERO = Decimal("0")


def period_get_or_create(*, agency: Agency, moment: datetime) -> BillingPeriod:
    """The agency's billing period containing `moment` (created on first use)."""
    start, end = period_bounds(anchor_day=agency.billing_anchor_day, moment=moment)
    period, _ = BillingPeriod.objects.get_or_create(agency=agency, start=start,
                                                    defaults={"end": end})
    return period


@dataclass(frozen=True)
class LedgerSummary:
    """A wallet's movements over [start, end), exact (6 decimal places)."""

    opening: Decimal
    closing: Decimal
    usage: Decimal  # positive: what usage took out
    topups: Decimal
    other: Decimal  # adjustments, refunds, reversals (signed)
    entries: int


def _balance_before(wallet_id: int, moment: datetime) -> Decimal:
    last = (Entry.objects.filter(wallet_id=wallet_id, created_at__lt=moment)
            .order_by("-created_at", "-seq").values_list("balance_after", flat=True).first())
    return last if last is not None else ZERO


def ledger_summary(*, wallet_id: int, start: datetime, end: datetime) -> LedgerSummary:
    opening = _balance_before(wallet_id, start)
    by_kind = dict(
        Entry.objects.filter(wallet_id=wallet_id, created_at__gte=start, created_at__lt=end)
        .values("kind").annotate(total=Sum("amount")).values_list("kind", "total")
    )
    count = Entry.objects.filter(wallet_id=wallet_id, created_at__gte=start,
                                 created_at__lt=end).count() if by_kind else 0
    usage = -by_kind.pop(Entry.Kind.USAGE, ZERO)
    topups = by_kind.pop(Entry.Kind.TOPUP, ZERO)
    other = sum(by_kind.values(), ZERO)
    return LedgerSummary(opening=opening, closing=opening - usage + topups + other,
                         usage=usage, topups=topups, other=other, entries=count)


def _tiers_add(into: dict, breakdown: list[dict]) -> None:
    for tier in breakdown:
        key = (tier.get("up_to"), str(Decimal(str(tier["price"]))))
        row = into.setdefault(key, [ZERO, ZERO])
        row[0] += Decimal(str(tier["quantity"]))
        row[1] += Decimal(str(tier["amount"]))


def invoice_lines_compute(*, wallet_id: int, start: datetime, end: datetime) -> list[dict]:
    """Lines per item: one per flat unit price in force, one per item with its tiers summed."""
    charges = UsageCharge.objects.filter(entry__wallet_id=wallet_id, entry__created_at__gte=start,
                                         entry__created_at__lt=end)
    lines: list[dict] = []
    flat = (charges.filter(unit_price__isnull=False)
            .values("item_id", "item__position", "unit_price")
            .annotate(quantity=Sum("quantity"), amount=Sum("amount"), charges=Count("id")))
    for row in flat:
        lines.append({"item_id": row["item_id"], "position": row["item__position"],
                      "unit_price": row["unit_price"], "tiers": None,
                      "quantity": row["quantity"], "amount": row["amount"],
                      "charges": row["charges"]})
    tiered: dict[str, dict] = defaultdict(lambda: {"quantity": ZERO, "amount": ZERO,
                                                   "charges": 0, "tiers": {}})
    for item_id, position, quantity, amount, breakdown in (
            charges.filter(unit_price__isnull=True)
            .values_list("item_id", "item__position", "quantity", "amount", "tier_breakdown")
            .iterator(chunk_size=2000)):
        line = tiered[item_id]
        line["position"] = position
        line["quantity"] += quantity
        line["amount"] += amount
        line["charges"] += 1
        _tiers_add(line["tiers"], breakdown or [])
    for item_id, line in tiered.items():
        tiers = [{"up_to": up_to, "price": price, "quantity": f"{quantity}",
                  "amount": f"{quantize_amount(amount)}"}
                 for (up_to, price), (quantity, amount) in line["tiers"].items()]
        lines.append({"item_id": item_id, "position": line["position"], "unit_price": None,
                      "tiers": tiers, "quantity": line["quantity"], "amount": line["amount"],
                      "charges": line["charges"]})
    lines.sort(key=lambda line: (line["position"], line["item_id"],
                                 line["unit_price"] is None, line["unit_price"] or ZERO))
    return lines


def invoice_issue(*, period: BillingPeriod, sub_account: SubAccount,
                  now: datetime | None = None) -> tuple[Invoice, bool]:
    """Issue the client's invoice for `period`. Returns (invoice, created); issuing again
    returns the invoice already issued and takes no number."""
    with transaction.atomic(durable=True):
        # The counter lock comes first: it serialises every issue of this agency, so the
        # existence check below sees an invoice a concurrent close has just committed.
        counter = _counter_lock(period.agency_id)
        existing = Invoice.objects.filter(period=period, sub_account=sub_account).first()
        if existing is not None:
            return existing, False
        wallet_id = Wallet.objects.values_list("pk", flat=True).get(sub_account=sub_account)
        summary = ledger_summary(wallet_id=wallet_id, start=period.start, end=period.end)
        lines = invoice_lines_compute(wallet_id=wallet_id, start=period.start, end=period.end)
        counter.last_number += 1
        InvoiceCounter.objects.filter(pk=counter.pk).update(last_number=counter.last_number)
        invoice = Invoice(
            agency_id=period.agency_id, sub_account=sub_account, period=period,
            number=counter.last_number, period_start=period.start, period_end=period.end,
            currency=sub_account.agency.currency,
            opening_balance=to_minor_units(summary.opening),
            closing_balance=to_minor_units(summary.closing),
            usage_total=to_minor_units(summary.usage),
            topups_total=to_minor_units(summary.topups),
            other_total=to_minor_units(summary.other),
            issued_at=now or timezone.now(),
        )
        invoice.full_clean(validate_unique=False, validate_constraints=False)
        invoice.save(force_insert=True)
        InvoiceLine.objects.bulk_create([
            InvoiceLine(invoice=invoice, position=position, item_id=line["item_id"],
                        quantity=line["quantity"], unit_price=line["unit_price"],
                        tiers=line["tiers"], amount=quantize_amount(line["amount"]),
                        charges=line["charges"])
            for position, line in enumerate(lines, start=1)
        ])
        return invoice, True


def _counter_lock(agency_id) -> InvoiceCounter:
    InvoiceCounter.objects.get_or_create(agency_id=agency_id)
    return InvoiceCounter.objects.select_for_update().get(agency_id=agency_id)


def statement_figures(*, agency: Agency, start: datetime, end: datetime) -> dict:
    """Base cost (rebilled and absorbed), revenue and margin over [start, end), from the daily
    roll-ups (periods start at 00:00 UTC, so they are whole days)."""
    rows = (UsageDaily.objects.filter(agency=agency, day__gte=start.date(), day__lt=end.date())
            .values("billed_to").annotate(base_cost=Sum("base_cost"), amount=Sum("amount")))
    return statement_totals(rows)


def statement_totals(rows) -> dict:
    """The statement's figures from roll-up sums, each row with its `billed_to`, `base_cost`
    and `amount` (any finer grouping adds up to the same)."""
    figures = {"base_cost_rebilled": ZERO, "base_cost_absorbed": ZERO, "revenue": ZERO}
    for row in rows:
        if row["billed_to"] == UsageCharge.BilledTo.WALLET:
            figures["base_cost_rebilled"] += row["base_cost"]
            figures["revenue"] += row["amount"]
        else:
            figures["base_cost_absorbed"] += row["base_cost"]
    figures["platform_cost"] = figures["base_cost_rebilled"] + figures["base_cost_absorbed"]
    figures["margin"] = figures["revenue"] - figures["platform_cost"]
    return figures


def _clients_to_invoice(period: BillingPeriod):
    """Rebilled clients that existed during the period, and any client whose wallet moved in
    it (a client whose rebilling was switched off still gets its period's invoice)."""
    moved = Entry.objects.filter(wallet__sub_account__agency_id=period.agency_id,
                                 created_at__gte=period.start, created_at__lt=period.end)
    rebilled = Q(rebilling_enabled=True) if period.agency.rebilling_enabled else Q(pk__in=[])
    return (SubAccount.objects.select_related("agency")
            .filter(agency_id=period.agency_id, created_at__lt=period.end)
            .filter(rebilled | Q(wallet__in=moved.values("wallet_id")))
            .order_by("pk"))


def period_close(*, period: BillingPeriod, now: datetime | None = None) -> dict:
    """Issue every invoice and the statement of an ended period. Safe to run twice or
    concurrently: what is already issued is skipped."""
    now = now or timezone.now()
    if period.end > now:
        raise ValueError(f"period {period} has not ended at {now.isoformat()}")
    issued = 0
    for sub_account in _clients_to_invoice(period).iterator(chunk_size=500):
        _, created = invoice_issue(period=period, sub_account=sub_account, now=now)
        issued += created
    with transaction.atomic(durable=True):
        locked = BillingPeriod.objects.select_for_update().get(pk=period.pk)
        if not AgencyStatement.objects.filter(period=locked).exists():
            figures = statement_figures(agency=locked.agency, start=locked.start,
                                        end=locked.end)
            AgencyStatement.objects.create(
                period=locked, agency_id=locked.agency_id, currency=locked.agency.currency,
                base_cost_rebilled=quantize_amount(figures["base_cost_rebilled"]),
                base_cost_absorbed=quantize_amount(figures["base_cost_absorbed"]),
                revenue=quantize_amount(figures["revenue"]), created_at=now)
        if locked.closed_at is None:
            locked.closed_at = now
            locked.save(update_fields=["closed_at"])
    return {"invoices": issued}


def periods_close_due(now: datetime | None = None) -> dict:
    """Job: close every agency's periods that ended before `now` and are not closed yet
    (from the agency's first period on, so a missed run is caught up)."""
    now = now or timezone.now()
    closed = invoices = 0
    for agency in Agency.objects.order_by("pk").iterator():
        closed_starts = set(BillingPeriod.objects.filter(agency=agency, closed_at__isnull=False)
                            .values_list("start", flat=True))
        start, end = period_bounds(anchor_day=agency.billing_anchor_day,
                                   moment=agency.created_at)
        while end <= now:
            if start not in closed_starts:
                period, _ = BillingPeriod.objects.get_or_create(agency=agency, start=start,
                                                                defaults={"end": end})
                invoices += period_close(period=period, now=now)["invoices"]
                closed += 1
            start, end = period_bounds(anchor_day=agency.billing_anchor_day, moment=end)
    return {"periods_closed": closed, "invoices_issued": invoices}
