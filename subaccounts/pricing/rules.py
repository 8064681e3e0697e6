"""The price rules (docs/api.md#pricing), shared by agency prices and per-client overrides.

A price is flat (`price`) or graduated tiers (`tiers`), per `item.price_per` units, in the
agency's currency. It is never negative, at most PRICE_MAX (docs/api.md#limits), has at most
six decimal places, and is below the base cost only as an explicit subsidy (`subsidize:
true`). Tiers have strictly increasing `up_to` and end with an open tier (`up_to: null`);
every tier price is checked like a flat one.

Amounts arrive as decimal strings (or `Decimal`); floats are refused because they have
already lost the digits we are asked to keep. Every violation raises `InvalidInput` naming
the field, before anything is written.

Margin is shown per `item.price_per` units, like the price and the base cost (so per 1,000
emails for `email_send`); margin percent is the share of the price the agency keeps:
`(price - base cost) / price × 100`, two places, and null for a zero price. A tiered price
has a margin per tier and no single margin.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hoopbilling.errors import CurrencyMismatch, InvalidInput
from hoopbilling.money import COLUMN_MAX, PRICE_MAX, bounded_decimal, decimal_input
from subaccounts.pricing.models import BillableItem

MAX_TIERS = 20
PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class ValidPrice:
    """A price that passed the rules: exactly one of `price` and `tiers` is set."""

    price: Decimal | None
    tiers: list[dict] | None  # [{"up_to": "10000" | None, "price": "0.90"}, ...], canonical
    subsidize: bool
    below_base_cost: bool  # some price is under the base cost (allowed only with subsidize)
    base_cost: Decimal  # the platform's base cost it was checked against


def parse_amount(value, *, field: str, what: str = "A price") -> Decimal:
    """A decimal string (or Decimal/int) → Decimal, or InvalidInput naming `field`."""
    parsed = decimal_input(value)
    if parsed is None:
        raise InvalidInput(f"{what} is a decimal string such as \"0.0125\"; got {value!r}.",
                           field=field)
    return parsed


def _check_amount(amount: Decimal, *, field: str, base_cost: Decimal, subsidize: bool,
                  item: BillableItem) -> bool:
    """Apply the rules to one price; True when it is a (permitted) subsidy."""
    bounded_decimal(amount, field=field, maximum=PRICE_MAX, what="A price")
    if amount < base_cost:
        if not subsidize:
            raise InvalidInput(
                f"{amount} is below the base cost {base_cost} per {item.priced_per_label}; "
                "send \"subsidize\": true to charge less than it costs you.",
                field=field, code="below_base_cost")
        return True
    return False


def price_validate(*, item: BillableItem, currency: str, base_cost: Decimal, price=None,
                   tiers=None, subsidize=False, given_currency=None) -> ValidPrice:
    """Check a proposed flat price or tier list for `item` against `base_cost`."""
    if not isinstance(subsidize, bool):
        raise InvalidInput("subsidize is true or false.", field="subsidize")
    if given_currency is not None and given_currency != currency:
        raise CurrencyMismatch(
            f"Prices are in the agency's currency {currency}, not {given_currency!r}.",
            field="currency")
    if (price is None) == (tiers is None):
        raise InvalidInput("Send either \"price\" or \"tiers\".",
                           field="price" if price is None else "tiers")
    if price is not None:
        amount = parse_amount(price, field="price")
        below = _check_amount(amount, field="price", base_cost=base_cost, subsidize=subsidize,
                              item=item)
        return ValidPrice(price=amount, tiers=None, subsidize=subsidize, below_base_cost=below,
                          base_cost=base_cost)
    canonical, below = _tiers_validate(tiers, item=item, base_cost=base_cost,
                                       subsidize=subsidize)
    return ValidPrice(price=None, tiers=canonical, subsidize=subsidize, below_base_cost=below,
                      base_cost=base_cost)


def _tiers_validate(tiers, *, item, base_cost, subsidize) -> tuple[list[dict], bool]:
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        raise InvalidInput(f"Tiers are a list of 1 to {MAX_TIERS} tiers.", field="tiers")
    canonical, below, previous = [], False, None
    for index, tier in enumerate(tiers):
        prefix = f"tiers[{index}]"
        if not isinstance(tier, dict) or set(tier) != {"up_to", "price"}:
            raise InvalidInput("Each tier is {\"up_to\": \"<quantity>\" or null, "
                               "\"price\": \"<decimal>\"}.", field=prefix)
        last = index == len(tiers) - 1
        if tier["up_to"] is None:
            if not last:
                raise InvalidInput("Only the last tier is open (up_to: null).",
                                   field=f"{prefix}.up_to")
            up_to = None
        else:
            if last:
                raise InvalidInput("The last tier is open: its up_to is null.",
                                   field=f"{prefix}.up_to")
            up_to = parse_amount(tier["up_to"], field=f"{prefix}.up_to", what="up_to")
            if up_to <= 0:
                raise InvalidInput("up_to is a positive quantity.", field=f"{prefix}.up_to")
            up_to = bounded_decimal(up_to, field=f"{prefix}.up_to", maximum=COLUMN_MAX,
                                    what="up_to")
            if previous is not None and up_to <= previous:
                raise InvalidInput("Tiers' up_to strictly increase.", field=f"{prefix}.up_to")
            previous = up_to
        amount = parse_amount(tier["price"], field=f"{prefix}.price")
        below |= _check_amount(amount, field=f"{prefix}.price", base_cost=base_cost,
                               subsidize=subsidize, item=item)
        canonical.append({"up_to": None if up_to is None else str(up_to), "price": str(amount)})
    return canonical, below


def margin(price: Decimal, base_cost: Decimal) -> Decimal:
    """What the agency keeps per `price_per` units (negative for a subsidy)."""
    return price - base_cost


def margin_percent(price: Decimal, base_cost: Decimal) -> Decimal | None:
    """Share of the price the agency keeps, in percent (two places); None for a zero price."""
    if price == 0:
        return None
    return ((price - base_cost) * 100 / price).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceRow:
    """One line of a price grid: an item's base cost, the price in force and the margin."""

    item: BillableItem
    currency: str
    base_cost: Decimal
    price: Decimal | None
    tiers: list[dict] | None  # [{"up_to": str | None, "price": str}, ...]
    source: str  # "agency" / "base_cost" on the agency grid; "override" / "agency" for a client
    effective_from: object = None  # when the price in force was set (None: never set)

    @property
    def margin(self) -> Decimal | None:
        return None if self.price is None else margin(self.price, self.base_cost)

    @property
    def margin_percent(self) -> Decimal | None:
        return None if self.price is None else margin_percent(self.price, self.base_cost)

    @property
    def tier_rows(self) -> list[dict]:
        """Tiers with their own margin and margin percent (Decimals), for pages and the API."""
        rows = []
        for tier in self.tiers or []:
            price = Decimal(tier["price"])
            rows.append({"up_to": None if tier["up_to"] is None else Decimal(tier["up_to"]),
                         "price": price, "margin": margin(price, self.base_cost),
                         "margin_percent": margin_percent(price, self.base_cost)})
        return rows

    @property
    def subsidized(self) -> bool:
        """Some price of this row is under the base cost."""
        if self.price is not None:
            return self.price < self.base_cost
        return any(row["price"] < self.base_cost for row in self.tier_rows)

    @property
    def tiers_text(self) -> str:
        """Tiers as the pages edit them: one `up_to: price` line per tier, `*` for the open one."""
        return tiers_to_text(self.tiers)


def tiers_to_text(tiers: list[dict] | None) -> str:
    return "\n".join(f"{'*' if t['up_to'] is None else t['up_to']}: {t['price']}"
                     for t in tiers or [])


def tiers_from_text(text: str, *, field: str = "tiers") -> list[dict]:
    """Parse the pages' tier notation (`10000: 0.90` per line, `*: 0.70` last) into the API's
    tier list; the rules themselves are then checked by `price_validate`."""
    tiers = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        if not line.strip():
            continue
        up_to, sep, price = line.partition(":")
        if not sep:
            raise InvalidInput(f"Line {number}: write `up to: price`, e.g. `10000: 0.90`, and "
                               "`*: 0.70` for the last tier.", field=field)
        up_to = up_to.strip().replace(",", "")
        tiers.append({"up_to": None if up_to in ("*", "") else up_to, "price": price.strip()})
    return tiers


def price_json(row) -> dict | None:
    """An agency price or override row as the audit log and the history record it."""
    if row is None:
        return None
    if getattr(row, "cleared", False):
        return {"cleared": True}
    return {"price": str(row.price.amount) if row.price is not None else None,
            "tiers": row.tiers, "subsidize": row.subsidize}


