"""Price resolution: the one answer to "what does this client pay for this item now?".

Order: the client's override → the agency's price → the platform's base cost (zero markup).
All three are effective-dated; the row in force at the moment of the usage applies.
A price is either flat (`price`) or graduated tiers applied to the client's cumulative
quantity in the billing period (CONTRACT section 4).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from agencies.models import AgencyPrice, BaseCost, BillableItem
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


class PriceBook:
    """The price rows of an agency and some of its clients, loaded once (three queries), that
    resolve any item at any moment up to `until` in memory.

    A batch of usage events spread over time resolves with one book instead of three queries
    per event. Rows are kept newest first, so the row in force at a moment is the first one
    that started at or before it (ties broken by id, the later write wins).
    """

    def __init__(self, *, agency, sub_accounts, until: datetime):
        self.agency = agency
        self.currency = agency.currency

        def newest_first(rows, key):
            book: dict[tuple, list] = {}
            for row in rows.filter(effective_from__lte=until).order_by("-effective_from", "-id"):
                book.setdefault(key(row), []).append(row)
            return book

        self.costs = newest_first(BaseCost.objects.filter(cost_currency=self.currency),
                                  lambda row: row.item_id)
        self.agency_prices = newest_first(AgencyPrice.objects.filter(agency=agency),
                                          lambda row: row.item_id)
        self.overrides = newest_first(
            PriceOverride.objects.filter(sub_account__in=[s.pk for s in sub_accounts]),
            lambda row: (row.sub_account_id, row.item_id))

    @staticmethod
    def _in_force(rows, moment: datetime):
        return next((row for row in rows if row.effective_from <= moment), None)

    def resolve(self, *, sub_account: SubAccount, item: BillableItem,
                moment: datetime) -> ResolvedPrice:
        base = self._in_force(self.costs.get(item.code, ()), moment)
        if base is None:
            raise InvalidInput(f"No base cost for {item.code} in {self.currency}.", field="item")
        override = self._in_force(self.overrides.get((sub_account.pk, item.code), ()), moment)
        if override is not None and not override.cleared:
            row, source = override, PriceSource.OVERRIDE
        else:
            row = self._in_force(self.agency_prices.get(item.code, ()), moment)
            source = PriceSource.AGENCY
        return _resolved(item=item, currency=self.currency, base=base.cost.amount, row=row,
                         source=source)


def price_resolve(*, sub_account: SubAccount, item: BillableItem, moment: datetime,
                  ) -> ResolvedPrice:
    book = PriceBook(agency=sub_account.agency, sub_accounts=[sub_account], until=moment)
    return book.resolve(sub_account=sub_account, item=item, moment=moment)


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

    Items without a base cost in the agency's currency are left out.
    """
    book = PriceBook(agency=sub_account.agency, sub_accounts=[sub_account], until=moment)
    return {item.code: book.resolve(sub_account=sub_account, item=item, moment=moment)
            for item in BillableItem.objects.filter(code__in=list(book.costs))}
