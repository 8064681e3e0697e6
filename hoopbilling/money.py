"""Decimal helpers: the only places where money is rounded.

The rule (docs/api.md#money): a charge is `quantity × unit price` computed exactly and kept to six
decimal places (ROUND_HALF_UP); card charges and invoice totals are whole minor units.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from moneyed import Money

# What people write for an amount: "12", "-0.0125". Python's Decimal also reads "1e3", "１２",
# "1_000", "+5", ".5" and "NaN", none of which is an amount anybody typed on purpose.
DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?", re.ASCII)
AMOUNT_PLACES = Decimal("0.000001")
CENT = Decimal("0.01")
MAX_DIGITS = 18
DECIMAL_PLACES = 6


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
    return abs(value) < Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)

