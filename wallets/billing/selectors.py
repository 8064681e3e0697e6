"""Reads of the wallets app for pages, tables, exports and the API.

The usage ledger pages with a keyset on (wallet, seq), newest first: a page is
`WHERE wallet = w AND seq < cursor ORDER BY seq DESC LIMIT n`, one index range scan however
deep the page. Date filters become seq bounds through the (wallet, created_at, seq) index
(entries are appended under the wallet lock, so time grows with seq). Dashboard figures come
from the daily roll-ups (`UsageDaily`), never from raw usage.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Agency
from agencies.periods import period_bounds
from subaccounts.models import SubAccount, SuspensionReason
from wallets.billing.invoicing import statement_totals
from wallets.billing.models import AgencyStatement, BillingPeriod, Invoice
from wallets.ledger.models import Entry, Wallet
from wallets.usage.models import UsageCharge, UsageDaily

ZERO = Decimal("0")
LEDGER_PAGE_SIZE = 50
FORECAST_DAYS = 7


# --- Invoices ---------------------------------------------------------------------------


def invoices_of_agency(*, agency: Agency):
    return (Invoice.objects.filter(agency=agency).select_related("sub_account")
            .order_by("-period_start", "-number"))


def invoices_of_client(*, sub_account: SubAccount):
    return Invoice.objects.filter(sub_account=sub_account).order_by("-period_start", "-number")


def invoice_lines(*, invoice: Invoice):
    return list(invoice.lines.select_related("item").order_by("position"))


# --- The usage ledger -------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilters:
    item: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def ledger_entries(*, wallet: Wallet, filters: LedgerFilters):
    """The wallet's entries under the filters, newest first, with their usage charge."""
    entries = Entry.objects.filter(wallet=wallet)
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    if filters.item:
        entries = entries.filter(usage_charge__item_id=filters.item)
    if filters.date_from:
        moment = _day_start(filters.date_from)
        entries = entries.filter(created_at__gte=moment)
        first = (Entry.objects.filter(wallet=wallet, created_at__gte=moment)
                 .order_by("created_at", "seq").values_list("seq", flat=True).first())
        entries = entries.filter(seq__gte=first) if first is not None else entries.none()
    if filters.date_to:
        moment = _day_start(filters.date_to + timedelta(days=1))
        entries = entries.filter(created_at__lt=moment)
        last = (Entry.objects.filter(wallet=wallet, created_at__lt=moment)
                .order_by("-created_at", "-seq").values_list("seq", flat=True).first())
        entries = entries.filter(seq__lte=last) if last is not None else entries.none()
    return entries.select_related("usage_charge", "usage_charge__item").order_by("-seq")


def ledger_page(*, wallet: Wallet, filters: LedgerFilters, before: int | None = None,
                size: int = LEDGER_PAGE_SIZE) -> tuple[list[Entry], int | None]:
    """One page of entries older than seq `before`, and the cursor of the next page."""
    entries = ledger_entries(wallet=wallet, filters=filters)
    if before is not None:
        entries = entries.filter(seq__lt=before)
    rows = list(entries[:size + 1])
    next_cursor = rows[size - 1].seq if len(rows) > size else None
    return rows[:size], next_cursor


def ledger_iter(*, wallet: Wallet, filters: LedgerFilters, chunk: int = 2000):
    """Every filtered entry, newest first, fetched in keyset chunks (for streamed CSV)."""
    before = None
    while True:
        rows, before = ledger_page(wallet=wallet, filters=filters, before=before, size=chunk)
        yield from rows
        if before is None:
            return


def topups_of_wallet(*, wallet: Wallet, limit: int = 20):
    return list(Entry.objects.filter(wallet=wallet, kind=Entry.Kind.TOPUP)
                .order_by("-seq")[:limit])


def usage_of_wallet(*, wallet: Wallet, limit: int = 25):
    return list(UsageCharge.objects.filter(entry__wallet=wallet).select_related("item", "entry")
                .order_by("-entry__seq")[:limit])


# --- The agency dashboard ---------------------------------------------------------------


def current_period(*, agency: Agency, now: datetime | None = None) -> tuple[datetime, datetime]:
    return period_bounds(anchor_day=agency.billing_anchor_day, moment=now or timezone.now())


def dashboard_figures(*, agency: Agency, start: datetime, end: datetime) -> dict:
    """Totals, by item, by client and by day for [start, end), from the roll-ups in two
    aggregates: per item × day × payer (a few hundred rows, added up here into the items,
    the days and the totals) and per client. Each aggregate reads every roll-up row of the
    period, so two of them instead of four halve the page's database time."""
    rollups = UsageDaily.objects.filter(agency=agency, day__gte=start.date(),
                                        day__lt=end.date())
    fine = list(rollups.values("item_id", "item__name", "item__position", "day", "billed_to")
                .annotate(quantity=Sum("quantity"), amount=Sum("amount"),
                          base_cost=Sum("base_cost")).order_by())
    items: dict[str, dict] = {}
    by_day: dict[date, dict] = {}
    for row in fine:
        revenue = row["amount"] if row["billed_to"] == UsageCharge.BilledTo.WALLET else ZERO
        item = items.setdefault(row["item_id"], {
            "item_id": row["item_id"], "item__name": row["item__name"],
            "item__position": row["item__position"], "quantity": ZERO, "revenue": ZERO,
            "platform_cost": ZERO})
        item["quantity"] += row["quantity"]
        for totals in (item, by_day.setdefault(row["day"], {"revenue": ZERO,
                                                            "platform_cost": ZERO})):
            totals["revenue"] += revenue
            totals["platform_cost"] += row["base_cost"]
    by_item = sorted(items.values(), key=lambda item: (item["item__position"], item["item_id"]))
    for item in by_item:
        item["margin"] = item["revenue"] - item["platform_cost"]
    # Grouped by the id alone: with the name in the key PostgreSQL expects a group per row
    # and sorts them all (on disk) instead of hashing a few hundred groups.
    by_client = list(rollups.values("sub_account_id").annotate(
        revenue=Sum("amount", filter=Q(billed_to=UsageCharge.BilledTo.WALLET)),
        platform_cost=Sum("base_cost"), count=Sum("count")).order_by())
    names = dict(SubAccount.objects.filter(pk__in=[row["sub_account_id"] for row in by_client])
                 .values_list("pk", "name"))
    for client in by_client:
        client["sub_account__name"] = names[client["sub_account_id"]]
    # Revenue first; absorbed clients (no wallet revenue) last.
    by_client.sort(key=lambda client: (client["revenue"] is None, -(client["revenue"] or ZERO),
                                       client["sub_account__name"]))
    for client in by_client:
        client["revenue"] = client["revenue"] or ZERO
        client["margin"] = client["revenue"] - client["platform_cost"]
    days, day = [], start.date()
    while day < min(end.date(), timezone.now().date() + timedelta(days=1)):
        row = by_day.get(day, {"revenue": ZERO, "platform_cost": ZERO})
        days.append({"day": day, "revenue": row["revenue"], "platform_cost": row["platform_cost"],
                     "margin": row["revenue"] - row["platform_cost"]})
        day += timedelta(days=1)
    return {"totals": statement_totals(fine), "by_item": by_item, "by_client": by_client,
            "by_day": days}


ATTENTION_LIMIT = 50  # rows in each of the dashboard's attention lists


def suspended_clients(*, agency: Agency):
    return list(SubAccount.objects.filter(agency=agency, suspended_at__isnull=False)
                .order_by("-suspended_at")[:ATTENTION_LIMIT])


# A client is close to its credit limit once it has used this share of it (or is past it
# while a top-up is being charged, which defers the suspension).
NEAR_LIMIT = Decimal("0.8")


def clients_at_credit_limit(*, agency: Agency) -> list[Wallet]:
    """The wallets of clients suspended at their credit limit, most recent first."""
    return list(Wallet.objects.filter(
        sub_account__agency=agency,
        sub_account__suspension_reason=SuspensionReason.CREDIT_LIMIT)
        .select_related("sub_account__agency").order_by("-sub_account__suspended_at")
        [:ATTENTION_LIMIT])


def clients_near_credit_limit(*, agency: Agency) -> list[Wallet]:
    """Rebilled, not suspended clients that have used NEAR_LIMIT of their credit limit, with
    `limit` and `headroom` (balance + limit) annotated, least headroom first."""
    if not agency.rebilling_enabled:
        return []
    limit = Coalesce("sub_account__credit_limit",
                     Value(agency.credit_limit.amount, output_field=DecimalField()))
    return list(Wallet.objects.filter(
        sub_account__agency=agency, sub_account__rebilling_enabled=True,
        sub_account__suspended_at__isnull=True, balance__lt=0)
        .annotate(limit=limit, headroom=F("balance") + limit)
        .filter(balance__lte=-F("limit") * NEAR_LIMIT)
        .select_related("sub_account").order_by("headroom", "pk")[:ATTENTION_LIMIT])


def clients_owing(*, agency: Agency):
    """Wallets below zero: usage the client has not paid for yet (the outstanding amount).
    A payment that keeps failing shows here until it succeeds."""
    return list(Wallet.objects.filter(sub_account__agency=agency, balance__lt=0)
                .select_related("sub_account").order_by("balance")[:ATTENTION_LIMIT])


def topup_forecast(*, agency: Agency, today: date | None = None,
                   limit: int = ATTENTION_LIMIT) -> list[dict]:
    """Each rebilled wallet's days until its balance reaches its auto top-up threshold (or
    zero without auto top-up), from its average daily burn over the last FORECAST_DAYS days.
    Soonest first; wallets that burn nothing are left out. One query: the week's roll-ups
    summed per client beside its wallet's balance and floor, sorted and cut in the database."""
    today = today or timezone.now().date()
    wallet = "sub_account__wallet__"
    floor = Case(When(**{f"{wallet}auto_topup_enabled": True},
                      then=F(f"{wallet}auto_topup_threshold")), default=Value(ZERO))
    burns = (UsageDaily.objects.filter(
        agency=agency, billed_to=UsageCharge.BilledTo.WALLET,
        day__gt=today - timedelta(days=FORECAST_DAYS), day__lte=today,
    ).values("sub_account_id", "sub_account__name")
        .annotate(balance=F(f"{wallet}balance"), floor=floor, burn=Sum("amount"))
        .filter(burn__gt=0)
        .order_by((F("balance") - F("floor")) / F("burn"), "sub_account_id")[:limit])
    rows = []
    for row in burns:
        daily = row["burn"] / FORECAST_DAYS
        rows.append({"sub_account_id": row["sub_account_id"], "name": row["sub_account__name"],
                     "balance": row["balance"], "daily_burn": daily,
                     "days": max(ZERO, (row["balance"] - row["floor"]) / daily)
                     .quantize(Decimal("0.1"))})
    return rows


def dashboard_client_count(*, agency: Agency) -> dict:
    return SubAccount.objects.filter(agency=agency).aggregate(
        clients=Count("pk"), suspended=Count("pk", filter=Q(suspended_at__isnull=False)))


def statements_of_agency(*, agency: Agency):
    return (AgencyStatement.objects.filter(agency=agency).select_related("period")
            .order_by("-period__start"))


def period_of_agency(*, agency: Agency, pk: int) -> BillingPeriod:
    return BillingPeriod.objects.get(agency=agency, pk=pk)
