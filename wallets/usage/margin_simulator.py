"""The margin simulator: what the last 30 days of an agency's real usage would have earned at
proposed prices, next to what it did earn.

"Before" is what was actually charged (`UsageCharge.amount`, already at the price in force
at the time). "After" re-prices the same quantities at the proposed flat price per
`item.price_per` units — except where the client has its own price (an override) in force
now: a change of the agency's prices does not touch it, so that revenue stays as it was.
Usage the agency absorbed (rebilling off, `billed_to="agency"`) earns nothing either way.
The cost is the platform's base cost actually recorded, the same before and after.

Quantities are summed per client and item in the database and re-priced once per sum, so
"after" can differ from event-by-event charging by the sixth decimal place.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from agencies.models import Agency
from hoopbilling.money import quantize_amount
from subaccounts.models import SubAccount
from subaccounts.pricing.book import PriceSource, prices_resolve_all
from subaccounts.pricing.models import BillableItem
from wallets.usage.models import UsageCharge

WINDOW = timedelta(days=30)
ZERO = Decimal("0")


@dataclass
class SimulatedLine:
    """Revenue, cost and margin of one item or one client, before and after."""

    label: str
    quantity: Decimal = ZERO
    revenue_before: Decimal = ZERO
    revenue_after: Decimal = ZERO
    cost: Decimal = ZERO

    @property
    def margin_before(self) -> Decimal:
        return self.revenue_before - self.cost

    @property
    def margin_after(self) -> Decimal:
        return self.revenue_after - self.cost

    @property
    def margin_change(self) -> Decimal:
        return self.margin_after - self.margin_before

    def add(self, *, quantity, before, after, cost) -> None:
        self.quantity += quantity
        self.revenue_before += before
        self.revenue_after += after
        self.cost += cost


@dataclass
class Simulation:
    since: datetime
    until: datetime
    currency: str
    by_item: list[SimulatedLine] = field(default_factory=list)
    by_client: list[SimulatedLine] = field(default_factory=list)
    total: SimulatedLine = field(default_factory=lambda: SimulatedLine("Total"))

    @property
    def has_usage(self) -> bool:
        return bool(self.by_item)


def margin_simulate(*, agency: Agency, proposed: dict[str, Decimal],
                    until: datetime | None = None) -> Simulation:
    """Re-price the agency's usage of the 30 days before `until` (default now) at
    `proposed` flat prices by item code; items not in `proposed` keep their revenue."""
    until = until or timezone.now()
    since = until - WINDOW
    sums = (UsageCharge.objects
            .filter(agency=agency, occurred_at__gte=since, occurred_at__lt=until)
            .values("sub_account_id", "item_id", "billed_to")
            .annotate(quantity=Sum("quantity"), amount=Sum("amount"),
                      cost=Sum("base_cost_amount"))
            .order_by())
    items = {item.code: item for item in BillableItem.objects.all()}
    clients = {c.pk: c for c in SubAccount.objects.filter(
        agency=agency, pk__in={row["sub_account_id"] for row in sums})}
    overridden = {
        pk: {code for code, price in prices_resolve_all(sub_account=client, moment=until).items()
             if price.source == PriceSource.OVERRIDE}
        for pk, client in clients.items()
    }
    by_item: dict[str, SimulatedLine] = {}
    by_client: dict = {}
    simulation = Simulation(since=since, until=until, currency=agency.currency)
    for row in sums:
        item, client = items[row["item_id"]], clients[row["sub_account_id"]]
        quantity, before, cost = row["quantity"], row["amount"], row["cost"]
        if row["billed_to"] == UsageCharge.BilledTo.AGENCY:
            before = after = ZERO
        elif item.code in proposed and item.code not in overridden[client.pk]:
            after = quantize_amount(quantity * proposed[item.code] / item.price_per)
        else:
            after = before
        for line in (by_item.setdefault(item.code, SimulatedLine(item.name)),
                     by_client.setdefault(client.pk, SimulatedLine(client.name)),
                     simulation.total):
            line.add(quantity=quantity, before=before, after=after, cost=cost)
    simulation.by_item = [by_item[code] for code in items if code in by_item]
    simulation.by_client = sorted(by_client.values(), key=lambda line: line.label)
    return simulation
