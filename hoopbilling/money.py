"""Decimal helpers: the only places where money is rounded, and the bounds every amount and
quantity is held to where it comes in (docs/api.md#limits).

The rule (docs/api.md#money): a charge is `quantity × unit price` computed exactly and kept to six
decimal places (ROUND_HALF_UP); card charges and invoice totals are whole minor units.

The bounds are chosen so that no column is ever reached, however many events come in:

- one amount column is NUMERIC(MAX_DIGITS, DECIMAL_PLACES): below 10^12;
- one event's charge is at most QUANTITY_MAX × PRICE_MAX = 10^9 × 100 = 10^11 (a tenth of
  its column); a top-up, a threshold, a cap or an operator's credit at most AMOUNT_MAX = 10^9;
- the columns that add events up (a client's period counter, the daily roll-ups, invoice
  lines and totals, statements) are NUMERIC(TOTAL_DIGITS, …): below 10^24. PostgreSQL keeps
  at most 32 TB in a table and a usage charge row takes well over 100 bytes, so there are
  never 10^12 charges: any sum of quantities stays below 10^12 × QUANTITY_MAX = 10^21, any
  sum of charges below 10^12 × 10^11 = 10^23, and any count of events below 10^12 (a bigint);
- a wallet's balance stays in its amount column: a manual top-up may not take it above
  AMOUNT_MAX, and the ledger refuses the one posting that would leave the column
  (`wallets.ledger.posting`; usage checks first and refuses that event alone).
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from moneyed import Money

from hoopbilling.errors import InvalidInput

# What people write for an amount: "12", "-0.0125". Python's Decimal also reads "1e3", "１２",
# "1_000", "+5", ".5" and "NaN", none of which is an amount anybody typed on purpose.
DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?", re.ASCII)
AMOUNT_PLACES = Decimal("0.000001")
CENT = Decimal("0.01")
MAX_DIGITS = 18
DECIMAL_PLACES = 6
TOTAL_DIGITS = 30
# The most one amount column holds.
COLUMN_MAX = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES) - AMOUNT_PLACES
QUANTITY_MAX = Decimal(10) ** 9  # one usage event, in the item's unit
PRICE_MAX = Decimal(100)  # a unit price or base cost, per `price_per` units
AMOUNT_MAX = Decimal(10) ** 9  # a top-up, an auto top-up setting, an operator's credit
TOPUP_MIN = Decimal("1.00")  # the least a card is charged: manual and automatic top-ups


def ensure_decimal(value, *, field: str) -> Decimal:
    """Refuse floats outright: a float has already lost the cents we are asked to keep."""
    if isinstance(value, float):
        raise TypeError(f"{field}: money must be a Decimal or a string, not a float")
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"{field}: {value!r} is not a decimal number") from exc
    else:
        raise TypeError(f"{field}: expected a Decimal, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return result


def plain_decimal(text: str) -> Decimal | None:
    """`text` (spaces around allowed) as a Decimal when it is a plain decimal (DECIMAL_TEXT),
    else None."""
    text = text.strip()
    return Decimal(text) if DECIMAL_TEXT.fullmatch(text) else None


def decimal_input(value) -> Decimal | None:
    """A decimal as a client or a person sends one: a plain decimal string (DECIMAL_TEXT), a
    whole number or a finite Decimal; None for anything else (a float, which has already lost
    the cents, a boolean, "1e3", None)."""
    if isinstance(value, str):
        return plain_decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return None


def quantize_amount(value: Decimal) -> Decimal:
    """A charge or ledger amount: six decimal places, half up."""
    return value.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP)


def to_minor_units(value: Decimal) -> Decimal:
    """A card charge or invoice total: whole cents, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fits_amount(value: Decimal) -> bool:
    """True when `value` has at most six decimal places and fits the amount columns."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        return False
    return abs(value) <= COLUMN_MAX


def bounded_decimal(value: Decimal, *, field: str, maximum: Decimal,
                    minimum: Decimal = Decimal(0), places: int = DECIMAL_PLACES,
                    what: str = "An amount") -> Decimal:
    """`value` within [minimum, maximum] with at most `places` decimal places (trailing zeros
    do not count: "10.000000" is whole cents), else InvalidInput naming `field` with what is
    wrong: too large (and the maximum), too small, or too many places. The one check of every
    amount and quantity that comes in (API, forms, admin, services)."""
    if not value.is_finite():
        raise InvalidInput(f"{what} is a number.", field=field)
    if value > maximum:
        raise InvalidInput(f"{what} is too large: at most {maximum:,}.", field=field)
    if value < minimum or value.is_signed() and minimum == 0:
        raise InvalidInput(f"{what} is never negative." if minimum == 0
                           else f"{what} is at least {minimum:,}.", field=field)
    exact = value.quantize(Decimal(1).scaleb(-places))
    if exact != value:
        raise InvalidInput(f"{what} has at most {places} decimal places.", field=field)
    return value if value.as_tuple().exponent >= -places else exact
