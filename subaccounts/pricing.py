"""Price resolution: the one answer to "what does this client pay for this item now?".

Order: the client's override → the agency's price → the platform's base cost (zero markup).
All three are effective-dated; the row in force at the moment of the usage applies.
A price is either flat (`price`) or graduated tiers applied to the client's cumulative
quantity in the billing period (CONTRACT section 4).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from agencies.models import AgencyPrice, BillableItem
from agencies.selectors import agency_prices_at, base_cost_at, base_costs_at
from hoopbilling.errors import InvalidInput

from .models import PriceOverride, SubAccount


class PriceSource:
    OVERRIDE = "override"
    AGENCY = "agency"
    BASE_COST = "base_cost"


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None  # cumulative quantity where the tier ends; None = open-ended
    price: Decimal


@dataclass(frozen=True)
class ResolvedPrice:
    item: BillableItem
    currency: str
    source: str
    base_cost: Decimal  # per `item.price_per` units
    price: Decimal | None  # flat price per `item.price_per` units
    tiers: tuple[Tier, ...] | None

    @property
    def is_tiered(self) -> bool:
        return self.tiers is not None


def tiers_from_json(raw: list[dict]) -> tuple[Tier, ...]:
    return tuple(
        Tier(up_to=None if row["up_to"] is None else Decimal(str(row["up_to"])),
             price=Decimal(str(row["price"])))
        for row in raw
    )


def tiers_to_json(tiers: tuple[Tier, ...]) -> list[dict]:
    return [{"up_to": None if t.up_to is None else f"{t.up_to}", "price": f"{t.price}"}
            for t in tiers]


def _in_force(rows, moment: datetime):
    return rows.filter(effective_from__lte=moment).order_by("-effective_from", "-id").first()


def price_resolve(*, sub_account: SubAccount, item: BillableItem, moment: datetime,
                  ) -> ResolvedPrice:
    agency = sub_account.agency
    currency = agency.currency
    base = base_cost_at(item=item, currency=currency, moment=moment)
    if base is None:
        raise InvalidInput(f"No base cost for {item.code} in {currency}.", field="item")
    override = _in_force(PriceOverride.objects.filter(sub_account=sub_account, item=item), moment)
    row, source = None, PriceSource.BASE_COST
    if override is not None and not override.cleared:
        row, source = override, PriceSource.OVERRIDE
    else:
        agency_price = _in_force(AgencyPrice.objects.filter(agency=agency, item=item), moment)
        if agency_price is not None:
            row, source = agency_price, PriceSource.AGENCY
    if row is None:
        return ResolvedPrice(item=item, currency=currency, source=source,
                             base_cost=base.cost.amount, price=base.cost.amount, tiers=None)
    return ResolvedPrice(
        item=item, currency=currency, source=source, base_cost=base.cost.amount,
        price=row.price.amount if row.price is not None else None,
        tiers=tiers_from_json(row.tiers) if row.tiers is not None else None,
    )


def _resolved(*, item, currency, base, row, source) -> ResolvedPrice:
    if row is None:
        return ResolvedPrice(item=item, currency=currency, source=PriceSource.BASE_COST,
                             base_cost=base, price=base, tiers=None)
    return ResolvedPrice(
        item=item, currency=currency, source=source, base_cost=base,
        price=row.price.amount if row.price is not None else None,
        tiers=tiers_from_json(row.tiers) if row.tiers is not None else None,
    )


def prices_resolve_all(*, sub_account: SubAccount, moment: datetime,
                       ) -> dict[str, ResolvedPrice]:
    """`price_resolve` for every item at once (three queries), by item code, for grids.

    Same order and same answers as `price_resolve`; items without a base cost in the
    agency's currency are left out.
    """
    agency = sub_account.agency
    costs = base_costs_at(currency=agency.currency, moment=moment)
    agency_prices = agency_prices_at(agency=agency, moment=moment)
    overrides: dict[str, PriceOverride] = {}
    for row in (PriceOverride.objects.filter(sub_account=sub_account, effective_from__lte=moment)
                .order_by("item_id", "-effective_from", "-id")):
        overrides.setdefault(row.item_id, row)
    resolved = {}
    for item in BillableItem.objects.filter(code__in=costs):
        override = overrides.get(item.code)
        if override is not None and not override.cleared:
            row, source = override, PriceSource.OVERRIDE
        else:
            row, source = agency_prices.get(item.code), PriceSource.AGENCY
        resolved[item.code] = _resolved(item=item, currency=agency.currency,
                                        base=costs[item.code].cost.amount, row=row,
                                        source=source)
    return resolved
