"""Reads of sub-accounts and their prices, for pages and the API."""

from datetime import datetime

from agencies.models import Agency
from agencies.price_rules import PriceRow
from subaccounts.models import SubAccount
from subaccounts.pricing import PriceSource, ResolvedPrice, prices_resolve_all, tiers_to_json


def client_price_row(resolved: ResolvedPrice) -> PriceRow:
    """A resolved client price as a grid row; `source` is `override` or `agency` (the client
    inherits the agency's grid, which is the base cost where the agency set no price)."""
    source = (PriceSource.OVERRIDE if resolved.source == PriceSource.OVERRIDE
              else PriceSource.AGENCY)
    return PriceRow(item=resolved.item, currency=resolved.currency,
                    base_cost=resolved.base_cost, price=resolved.price,
                    tiers=tiers_to_json(resolved.tiers) if resolved.tiers else None,
                    source=source)


def client_price_grid(*, sub_account: SubAccount, moment: datetime) -> list[PriceRow]:
    """Every item the client may be charged for, in catalog order, at the price it pays."""
    resolved = prices_resolve_all(sub_account=sub_account, moment=moment)
    rows = [client_price_row(price) for price in resolved.values()]
    return sorted(rows, key=lambda row: (row.item.position, row.item.code))


def agency_subaccounts(*, agency: Agency):
    """The agency's clients, by name."""
    return SubAccount.objects.filter(agency=agency).order_by("name", "pk")
