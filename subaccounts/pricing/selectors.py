"""Reads of the price tables for services, pages and the API: what is in force at a moment,
the agency's grid and one client's, and the price history."""

from datetime import datetime

from django.utils import timezone

from agencies.models import Agency
from hoopbilling.models import AuditLog
from subaccounts.pricing.book import PriceSource, ResolvedPrice, prices_resolve_all, tiers_to_json
from subaccounts.pricing.models import AgencyPrice, BaseCost, BillableItem, PriceOverride
from subaccounts.pricing.rules import PriceRow


def base_cost_at(*, item: BillableItem, currency: str, moment: datetime) -> BaseCost | None:
    """The base cost in force at `moment`."""
    return (BaseCost.objects
            .filter(item=item, cost_currency=currency, effective_from__lte=moment)
            .order_by("-effective_from").first())


def _latest_per_item(rows) -> dict:
    """The first row per item of a queryset ordered newest first."""
    latest = {}
    for row in rows:
        latest.setdefault(row.item_id, row)
    return latest


def base_costs_at(*, currency: str, moment: datetime) -> dict[str, BaseCost]:
    """Every item's base cost in force at `moment`, by item code."""
    return _latest_per_item(BaseCost.objects.filter(cost_currency=currency,
                                                    effective_from__lte=moment)
                            .order_by("item_id", "-effective_from", "-id"))


def agency_prices_at(*, agency: Agency, moment: datetime) -> dict[str, AgencyPrice]:
    """The agency's price rows in force at `moment`, by item code (items never priced absent)."""
    return _latest_per_item(AgencyPrice.objects.filter(agency=agency, effective_from__lte=moment)
                            .order_by("item_id", "-effective_from", "-id"))


def price_in_force(*, item: BillableItem, moment: datetime, agency: Agency | None = None,
                   sub_account=None) -> AgencyPrice | PriceOverride | None:
    """The row of the price list in force for `item` at `moment`: the agency's price, or with
    `sub_account` that client's override (possibly a `cleared` one). None: never set."""
    rows = (AgencyPrice.objects.filter(agency=agency) if sub_account is None
            else PriceOverride.objects.filter(sub_account=sub_account))
    return (rows.filter(item=item, effective_from__lte=moment)
            .order_by("-effective_from", "-id").first())


def agency_price_row(*, agency: Agency, item: BillableItem, base_cost: BaseCost,
                     agency_price: AgencyPrice | None) -> PriceRow:
    if agency_price is None:
        return PriceRow(item=item, currency=agency.currency, base_cost=base_cost.cost.amount,
                        price=base_cost.cost.amount, tiers=None, source="base_cost")
    return PriceRow(item=item, currency=agency.currency, base_cost=base_cost.cost.amount,
                    price=agency_price.price.amount if agency_price.price is not None else None,
                    tiers=agency_price.tiers, source="agency",
                    effective_from=agency_price.effective_from)


def agency_price_grid(*, agency: Agency, moment: datetime | None = None) -> list[PriceRow]:
    """The agency's grid: every item with a base cost in the agency's currency, in catalog
    order, at the agency's price (or the base cost when it set none)."""
    moment = moment or timezone.now()
    costs = base_costs_at(currency=agency.currency, moment=moment)
    prices = agency_prices_at(agency=agency, moment=moment)
    return [agency_price_row(agency=agency, item=item, base_cost=costs[item.code],
                             agency_price=prices.get(item.code))
            for item in BillableItem.objects.all() if item.code in costs]


def client_price_row(resolved: ResolvedPrice) -> PriceRow:
    """A resolved client price as a grid row; `source` is `override` or `agency` (the client
    inherits the agency's grid, which is the base cost where the agency set no price)."""
    source = (PriceSource.OVERRIDE if resolved.source == PriceSource.OVERRIDE
              else PriceSource.AGENCY)
    return PriceRow(item=resolved.item, currency=resolved.currency,
                    base_cost=resolved.base_cost, price=resolved.price,
                    tiers=tiers_to_json(resolved.tiers) if resolved.tiers else None,
                    source=source)


def client_price_grid(*, sub_account, moment: datetime) -> list[PriceRow]:
    """Every item the client may be charged for, in catalog order, at the price it pays."""
    resolved = prices_resolve_all(sub_account=sub_account, moment=moment)
    rows = [client_price_row(price) for price in resolved.values()]
    return sorted(rows, key=lambda row: (row.item.position, row.item.code))


PRICE_ACTIONS = ("price.set", "override.set", "override.clear")


def price_history(*, agency: Agency, sub_account_id=None):
    """Price changes of `agency` (agency prices and every client's overrides), newest first;
    with `sub_account_id`, that client's overrides only."""
    rows = AuditLog.objects.filter(agency_id=agency.pk, action__in=PRICE_ACTIONS)
    if sub_account_id is not None:
        rows = rows.filter(after__sub_account=str(sub_account_id))
    return rows.order_by("-created_at", "-id")
