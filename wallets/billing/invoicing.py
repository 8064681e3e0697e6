"""Billing periods, period close, invoices and the agency's statement.

A period is [start, end) from the agency's anchor day (`agencies.periods.period_bounds`).
Money belongs to the period in which it reached the ledger (`Entry.created_at`); usage
absorbed by the agency (no entry) by its `UsageCharge.created_at`. Closing a period issues one
invoice per rebilled client and the agency's statement; it is idempotent: a period closed
twice issues nothing new, and concurrent closes never share or skip a number because numbers
are taken under the agency's `InvoiceCounter` row lock, in the transaction that inserts the
invoices (one per batch of INVOICE_BATCH clients).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from agencies.models import Agency
from agencies.periods import period_bounds
from hoopbilling.money import CENT, quantize_amount, to_minor_units
from subaccounts.models import SubAccount
from wallets.billing.models import (
    AgencyStatement,
    BillingPeriod,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
)
from wallets.ledger.models import Entry, Wallet
from wallets.usage.models import UsageCharge, UsageDaily
from wallets.webhooks.services import sub_account_ref, webhook_events_record

ZERO = Decimal("0")
# Clients invoiced per transaction: one counter lock and a handful of set-based queries and
# bulk inserts each, instead of a dozen statements and a commit per client.
INVOICE_BATCH = 200


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
    topups: Decimal  # paid by card
    other: Decimal  # adjustments and reversals (signed)
    entries: int
    credits: Decimal = ZERO  # the agency's money given (positive)
    refunds: Decimal = ZERO  # positive: what went back to the card


@dataclass(frozen=True)
class WalletPeriod:
    """Where a wallet's period lies in its ledger: the balance before it, and the first and
    last seq of its entries in it (None when none)."""

    wallet_id: int
    opening: Decimal
    first_seq: int | None
    last_seq: int | None


def wallet_periods(*, wallet_ids: list[int], start: datetime,
                   end: datetime) -> list[WalletPeriod]:
    """One query, driven by the wallets: per wallet, one backward step and two range scans
    on its (wallet, created_at, seq) index. Asked for `wallet IN (...)` instead, PostgreSQL
    guesses thousands of entries per wallet from its statistics (a few big clients skew
    them) and reads the whole ledger for every batch."""
    in_period = (Entry.objects.filter(wallet=OuterRef("pk"), created_at__gte=start,
                                      created_at__lt=end).values("wallet"))
    rows = Wallet.objects.filter(pk__in=wallet_ids).annotate(
        opening=Subquery(Entry.objects.filter(wallet=OuterRef("pk"), created_at__lt=start)
                         .order_by("-created_at", "-seq").values("balance_after")[:1]),
        period_first=Subquery(in_period.annotate(first=Min("seq")).values("first")),
        period_last=Subquery(in_period.annotate(last=Max("seq")).values("last")),
    ).values_list("pk", "opening", "period_first", "period_last")
    return [WalletPeriod(wallet_id=pk, opening=opening if opening is not None else ZERO,
                         first_seq=first_seq, last_seq=last_seq)
            for pk, opening, first_seq, last_seq in rows]


def _entries_in(periods: list[WalletPeriod], prefix: str = "") -> Q | None:
    """The periods' entries by each wallet's seq range, on the (wallet, seq) index (the
    callers keep the created_at bounds too, so the answer stays exact); None when no wallet
    moved."""
    condition = None
    for period in periods:
        if period.first_seq is None:
            continue
        wallet_range = Q(**{f"{prefix}wallet_id": period.wallet_id,
                            f"{prefix}seq__gte": period.first_seq,
                            f"{prefix}seq__lte": period.last_seq})
        condition = wallet_range if condition is None else condition | wallet_range
    return condition


def ledger_summaries(*, periods: list[WalletPeriod], start: datetime,
                     end: datetime) -> dict[int, LedgerSummary]:
    """Each wallet's movements over [start, end), in one query for all of them."""
    by_kind: dict[int, dict] = defaultdict(dict)
    counts: dict[int, int] = defaultdict(int)
    entries = _entries_in(periods)
    if entries is not None:
        for wallet_id, kind, total, count in (
                Entry.objects.filter(entries, created_at__gte=start, created_at__lt=end)
                .values("wallet_id", "kind").annotate(total=Sum("amount"), count=Count("id"))
                .values_list("wallet_id", "kind", "total", "count").order_by()):
            by_kind[wallet_id][kind] = total
            counts[wallet_id] += count
    summaries = {}
    for period in periods:
        totals = by_kind[period.wallet_id]
        usage = -totals.pop(Entry.Kind.USAGE, ZERO)
        topups = totals.pop(Entry.Kind.TOPUP, ZERO)
        credits = totals.pop(Entry.Kind.CREDIT, ZERO)
        refunds = -totals.pop(Entry.Kind.REFUND, ZERO)
        other = sum(totals.values(), ZERO)
        summaries[period.wallet_id] = LedgerSummary(
            opening=period.opening,
            closing=period.opening - usage + topups + credits - refunds + other,
            usage=usage, topups=topups, other=other, entries=counts[period.wallet_id],
            credits=credits, refunds=refunds)
    return summaries


def _tiers_add(into: dict, breakdown: list[dict]) -> None:
    for tier in breakdown:
        key = (tier.get("up_to"), str(Decimal(str(tier["price"]))))
        row = into.setdefault(key, [ZERO, ZERO])
        row[0] += Decimal(str(tier["quantity"]))
        row[1] += Decimal(str(tier["amount"]))


def invoice_lines_compute(*, periods: list[WalletPeriod], start: datetime,
                          end: datetime) -> dict[int, list[dict]]:
    """Each wallet's lines per item: one per flat unit price in force, one per item with its
    tiers summed. Two queries for all the wallets."""
    lines: dict[int, list[dict]] = defaultdict(list)
    entries = _entries_in(periods, prefix="entry__")
    if entries is None:
        return lines
    charges = UsageCharge.objects.filter(entries, entry__created_at__gte=start,
                                         entry__created_at__lt=end)
    flat = (charges.filter(unit_price__isnull=False)
            .values("entry__wallet_id", "item_id", "item__position", "unit_price")
            .annotate(quantity=Sum("quantity"), amount=Sum("amount"), charges=Count("id"))
            .order_by())
    for row in flat:
        lines[row["entry__wallet_id"]].append({
            "item_id": row["item_id"], "position": row["item__position"],
            "unit_price": row["unit_price"], "tiers": None, "quantity": row["quantity"],
            "amount": row["amount"], "charges": row["charges"]})
    tiered: dict[tuple, dict] = defaultdict(lambda: {"quantity": ZERO, "amount": ZERO,
                                                     "charges": 0, "tiers": {}})
    for wallet_id, item_id, position, quantity, amount, breakdown in (
            charges.filter(unit_price__isnull=True)
            .values_list("entry__wallet_id", "item_id", "item__position", "quantity", "amount",
                         "tier_breakdown")
            .iterator(chunk_size=2000)):
        line = tiered[wallet_id, item_id]
        line["position"] = position
        line["quantity"] += quantity
        line["amount"] += amount
        line["charges"] += 1
        _tiers_add(line["tiers"], breakdown or [])
    for (wallet_id, item_id), line in tiered.items():
        tiers = [{"up_to": up_to, "price": price, "quantity": f"{quantity}",
                  "amount": f"{quantize_amount(amount)}"}
                 for (up_to, price), (quantity, amount) in line["tiers"].items()]
        lines[wallet_id].append({
            "item_id": item_id, "position": line["position"], "unit_price": None,
            "tiers": tiers, "quantity": line["quantity"], "amount": line["amount"],
            "charges": line["charges"]})
    for wallet_lines in lines.values():
        wallet_lines.sort(key=lambda line: (line["position"], line["item_id"],
                                            line["unit_price"] is None,
                                            line["unit_price"] or ZERO))
    return lines


def invoices_issue(*, period: BillingPeriod, sub_accounts: list[SubAccount],
                   now: datetime | None = None) -> int:
    """Issue the invoices for `period` of those `sub_accounts` that have none yet, in one
    transaction, numbered in the given order. Returns how many were issued; issuing again
    issues nothing and takes no number."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        # The counter lock comes first: it serialises every issue of this agency, so the
        # existence check below sees the invoices a concurrent close has just committed, and
        # the batch's numbers follow the last one without a gap.
        counter = _counter_lock(period.agency_id)
        if connection.vendor == "postgresql":
            # A few big clients skew the statistics, so the planner prices every wallet of
            # the batch at thousands of entries and JIT-compiles queries that then run in a
            # few milliseconds: the compiling took up to 100 times longer than the running.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        issued = set(Invoice.objects.filter(period=period, sub_account__in=sub_accounts)
                     .values_list("sub_account_id", flat=True))
        clients = [sub_account for sub_account in sub_accounts if sub_account.pk not in issued]
        if not clients:
            return 0
        wallets = dict(Wallet.objects.filter(sub_account__in=clients)
                       .values_list("sub_account_id", "pk"))
        periods = wallet_periods(wallet_ids=list(wallets.values()), start=period.start,
                                 end=period.end)
        summaries = ledger_summaries(periods=periods, start=period.start, end=period.end)
        lines = invoice_lines_compute(periods=periods, start=period.start, end=period.end)
        invoices, invoice_lines = [], []
        for number, sub_account in enumerate(clients, start=counter.last_number + 1):
            wallet_id = wallets[sub_account.pk]
            summary = summaries[wallet_id]
            invoice = Invoice(
                agency_id=period.agency_id, sub_account=sub_account, period=period,
                number=number, period_start=period.start, period_end=period.end,
                currency=sub_account.agency.currency,
                **invoice_totals(summary), issued_at=now,
            )
            # The foreign keys were just read from the database (and are its constraints):
            # checking that each still exists would cost three queries an invoice.
            invoice.full_clean(exclude=["agency", "sub_account", "period"], validate_unique=False,
                               validate_constraints=False)
            invoices.append(invoice)
            invoice_lines.extend(
                InvoiceLine(invoice=invoice, position=position, item_id=line["item_id"],
                            quantity=line["quantity"], unit_price=line["unit_price"],
                            tiers=line["tiers"], amount=quantize_amount(line["amount"]),
                            charges=line["charges"])
                for position, line in enumerate(lines[wallet_id], start=1))
        Invoice.objects.bulk_create(invoices)
        InvoiceLine.objects.bulk_create(invoice_lines, batch_size=2000)
        counter.last_number += len(invoices)
        InvoiceCounter.objects.filter(pk=counter.pk).update(last_number=counter.last_number)
        webhook_events_record(agency=period.agency_id, type="invoice.issued",
                              events=[(invoice_event_data(invoice), invoice.sub_account)
                                      for invoice in invoices])
        return len(invoices)


def invoice_event_data(invoice: Invoice) -> dict:
    """The `invoice.issued` webhook's data: the invoice's figures as strings."""
    return {
        "invoice": str(invoice.pk), "number": invoice.display_number,
        "sub_account": sub_account_ref(invoice.sub_account),
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(), "currency": invoice.currency,
        **{field: f"{getattr(invoice, field):f}" for field in (
            "opening_balance", "usage_total", "topups_total", "credits_total",
            "refunds_total", "other_total", "closing_balance")},
        "issued_at": invoice.issued_at.isoformat(),
    }


def invoice_totals(summary: LedgerSummary) -> dict[str, Decimal]:
    """An invoice's figures in cents that add up on its face: the balances are the ledger's,
    rounded; the movements are rounded too, and the cent or two their separate roundings lose
    goes to those rounded furthest the other way (largest remainder), so that opening − usage
    + top-ups + credits − refunds + other = closing. When the movements lost nothing (whole
    cents, and the two balances alone sat on half a cent), the cent goes to `other`, the one
    figure that may be of either sign. Each figure stays within a cent of the ledger's;
    usage, top-ups, credits and refunds never turn negative."""
    opening, closing = to_minor_units(summary.opening), to_minor_units(summary.closing)
    exact = {"usage": summary.usage, "topups": summary.topups, "credits": summary.credits,
             "refunds": summary.refunds, "other": summary.other}
    # how each moves the balance
    sign = {"usage": -1, "topups": 1, "credits": 1, "refunds": -1, "other": 1}
    rounded = {name: to_minor_units(value) for name, value in exact.items()}
    short = closing - opening - sum(sign[name] * rounded[name] for name in rounded)
    step = CENT if short > 0 else -CENT
    lost = {name: (exact[name] - rounded[name]) * sign[name] * step for name in exact}
    steps = int(abs(short) / CENT)
    takers = [name for name in sorted(lost, key=lost.get, reverse=True) if lost[name] > 0]
    for name in (takers + ["other"] * steps)[:steps]:
        rounded[name] += sign[name] * step
    return {"opening_balance": opening, "closing_balance": closing,
            "usage_total": rounded["usage"], "topups_total": rounded["topups"],
            "credits_total": rounded["credits"], "refunds_total": rounded["refunds"],
            "other_total": rounded["other"]}


def _counter_lock(agency_id) -> InvoiceCounter:
    InvoiceCounter.objects.get_or_create(agency_id=agency_id)
    return InvoiceCounter.objects.select_for_update().get(agency_id=agency_id)


def statement_figures(*, agency: Agency, start: datetime, end: datetime) -> dict:
    """Base cost (rebilled and absorbed), revenue and margin over [start, end), from the daily
    roll-ups (periods start at 00:00 UTC, so they are whole days); and the money that moved
    in the clients' wallets (`wallet_money_figures`): credits given reduce what the agency
    collected (`margin_after_credits`)."""
    rows = (UsageDaily.objects.filter(agency=agency, day__gte=start.date(), day__lt=end.date())
            .values("billed_to").annotate(base_cost=Sum("base_cost"), amount=Sum("amount")))
    figures = statement_totals(rows)
    figures.update(wallet_money_figures(agency=agency, start=start, end=end))
    figures["margin_after_credits"] = figures["margin"] - figures["credits"]
    return figures


def wallet_money_figures(*, agency: Agency, start: datetime, end: datetime) -> dict:
    """What the agency's clients paid by card (`topups`), what it gave them (`credits`: its
    own money, shown apart from paid top-ups) and what went back to their cards (`refunds`,
    positive) over [start, end), from the ledger (one query)."""
    totals = dict(Entry.objects.filter(
        wallet__sub_account__agency=agency, created_at__gte=start, created_at__lt=end,
        kind__in=[Entry.Kind.TOPUP, Entry.Kind.CREDIT, Entry.Kind.REFUND])
        .values("kind").annotate(total=Sum("amount")).values_list("kind", "total").order_by())
    return {"topups": quantize_amount(totals.get(Entry.Kind.TOPUP, ZERO)),
            "credits": quantize_amount(totals.get(Entry.Kind.CREDIT, ZERO)),
            "refunds": quantize_amount(-totals.get(Entry.Kind.REFUND, ZERO))}


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
    issued, batch = 0, []
    for sub_account in _clients_to_invoice(period).iterator(chunk_size=INVOICE_BATCH):
        batch.append(sub_account)
        if len(batch) == INVOICE_BATCH:
            issued += invoices_issue(period=period, sub_accounts=batch, now=now)
            batch = []
    if batch:
        issued += invoices_issue(period=period, sub_accounts=batch, now=now)
    with transaction.atomic(durable=True):
        locked = BillingPeriod.objects.select_for_update().get(pk=period.pk)
        if not AgencyStatement.objects.filter(period=locked).exists():
            figures = statement_figures(agency=locked.agency, start=locked.start,
                                        end=locked.end)
            AgencyStatement.objects.create(
                period=locked, agency_id=locked.agency_id, currency=locked.agency.currency,
                base_cost_rebilled=quantize_amount(figures["base_cost_rebilled"]),
                base_cost_absorbed=quantize_amount(figures["base_cost_absorbed"]),
                revenue=quantize_amount(figures["revenue"]), credits=figures["credits"],
                created_at=now)
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
