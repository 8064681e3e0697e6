"""The platform's bill to an agency for a billing period: the base cost of all its usage.

The agency owes the platform the base cost of every usage event, whether it was rebilled to
a client's wallet or absorbed by the agency (docs/api.md#pricing), so the bill sums
`UsageCharge.base_cost_amount` over the agency's billing period (`agencies.periods`).

Credits the agency gives its clients are its own money: the usage they pay for is rebilled
usage like any other and owes its base cost; the credits themselves neither add to the bill
nor reduce it. The bill shows them beside it (`credits`) so the operator sees that part of
the agency's "revenue" was its own money.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Sum

from agencies.models import Agency
from agencies.periods import period_bounds
from hoopbilling.money import quantize_amount
from wallets.ledger.models import Entry
from wallets.usage.models import UsageCharge


@dataclass
class BillLine:
    item_id: str
    rebilled: Decimal = Decimal(0)
    absorbed: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.rebilled + self.absorbed


@dataclass
class PeriodBill:
    start: datetime
    end: datetime
    currency: str
    lines: list[BillLine] = field(default_factory=list)
    credits: Decimal = Decimal(0)  # given by the agency in the period: not billed

    @property
    def rebilled(self) -> Decimal:
        return sum((line.rebilled for line in self.lines), Decimal(0))

    @property
    def absorbed(self) -> Decimal:
        return sum((line.absorbed for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.rebilled + self.absorbed


def agency_platform_bill(*, agency: Agency, moment: datetime) -> PeriodBill:
    """The bill for the period containing `moment`, one line per item used (one query), and
    the credits the agency gave in it (one more)."""
    start, end = period_bounds(anchor_day=agency.billing_anchor_day, moment=moment)
    rows = (UsageCharge.objects
            .filter(agency=agency, occurred_at__gte=start, occurred_at__lt=end)
            .values("item_id", "billed_to").annotate(base_cost=Sum("base_cost_amount"))
            .order_by("item_id", "billed_to"))
    lines: dict[str, BillLine] = {}
    for row in rows:
        line = lines.setdefault(row["item_id"], BillLine(item_id=row["item_id"]))
        base_cost = quantize_amount(row["base_cost"])  # SQLite's SUM drops the scale
        if row["billed_to"] == UsageCharge.BilledTo.WALLET:
            line.rebilled += base_cost
        else:
            line.absorbed += base_cost
    credits = Entry.objects.filter(
        wallet__sub_account__agency=agency, kind=Entry.Kind.CREDIT, created_at__gte=start,
        created_at__lt=end).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return PeriodBill(start=start, end=end, currency=agency.currency, lines=list(lines.values()),
                      credits=quantize_amount(credits))


def agency_platform_bills(*, agency: Agency, now: datetime) -> list[PeriodBill]:
    """The current period's bill (so far) and the previous period's."""
    current = agency_platform_bill(agency=agency, moment=now)
    previous = agency_platform_bill(agency=agency, moment=current.start - timedelta(seconds=1))
    return [current, previous]
