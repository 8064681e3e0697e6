"""The kernel's bounds of dates and cursors (hoopbilling/parsers.py) and of amounts
(hoopbilling/money.py): each edge refuses the same way, naming the field and the limit."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from hoopbilling.errors import InvalidInput
from hoopbilling.money import AMOUNT_MAX, bounded_decimal
from hoopbilling.parsers import (
    DAY_MAX,
    DAY_MIN,
    EARLIEST,
    SEQ_MAX,
    day_in_range,
    moment_in_window,
    seq_cursor,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["2000-01-01T00:00:00Z", "2000-01-01T05:00:00+05:00",
                                 "2000-01-01T00:00:00", "2026-03-01T12:00:00Z",
                                 "2026-03-01T01:00:00-11:00"])
def test_a_moment_inside_the_window_is_taken(raw):
    moment = moment_in_window(raw, field="occurred_at", latest=NOW)
    assert EARLIEST <= moment <= NOW


@pytest.mark.parametrize(("raw", "says"), [
    ("0001-01-01T00:00:00+01:00", "before 2000-01-01"),
    ("1999-12-31T23:59:59.999999Z", "before 2000-01-01"),
    ("2000-01-01T00:00:00+00:01", "before 2000-01-01"),
    ("9999-12-31T23:59:59-01:00", "in the future"),
    ("2026-03-01T12:00:00.000001Z", "in the future"),
    ("2026-02-30T00:00:00Z", "ISO 8601"), ("", "ISO 8601"), (20260301, "ISO 8601"),
])
def test_a_moment_outside_the_window_is_refused_naming_the_field(raw, says):
    with pytest.raises(InvalidInput) as refused:
        moment_in_window(raw, field="occurred_at", latest=NOW)
    assert refused.value.field == "occurred_at" and says in refused.value.message


def test_day_filters_are_bounded():
    assert day_in_range(DAY_MIN, field="date_from") == date(2000, 1, 1)
    assert day_in_range(DAY_MAX, field="date_to") == date(2099, 12, 31)
    for day in (DAY_MIN - timedelta(days=1), DAY_MAX + timedelta(days=1), date.max):
        with pytest.raises(InvalidInput):
            day_in_range(day, field="date_to")


@pytest.mark.parametrize("text", ["0", "-1", "²", "٣", "1e3", " 1", "", "0x1",
                                  str(SEQ_MAX + 1), "9" * 5000])
def test_a_cursor_is_a_sequence_number(text):
    with pytest.raises(InvalidInput) as refused:
        seq_cursor(text, field="cursor")
    assert refused.value.field == "cursor"


def test_the_largest_cursor_is_a_bigint():
    assert seq_cursor(str(SEQ_MAX), field="cursor") == 2 ** 63 - 1
    assert seq_cursor("1", field="cursor") == 1


@pytest.mark.parametrize(("value", "says"), [
    (AMOUNT_MAX + Decimal("0.01"), "too large: at most 1,000,000,000"),
    (Decimal("1e999"), "too large"),
    (Decimal("-0.01"), "never negative"), (Decimal("-0"), "never negative"),
    (Decimal("0.001"), "at most 2 decimal places"),
    (Decimal("NaN"), "is a number"), (Decimal("Infinity"), "is a number"),
])
def test_an_amount_out_of_bounds_says_what_is_wrong(value, says):
    with pytest.raises(InvalidInput) as refused:
        bounded_decimal(value, field="amount", maximum=AMOUNT_MAX, places=2)
    assert refused.value.field == "amount" and says in refused.value.message


def test_an_amount_in_bounds_keeps_its_value():
    assert bounded_decimal(Decimal("10.000000"), field="amount", maximum=AMOUNT_MAX,
                           places=2) == Decimal("10")
    assert bounded_decimal(AMOUNT_MAX, field="amount", maximum=AMOUNT_MAX) == AMOUNT_MAX
    assert bounded_decimal(Decimal("-5"), field="amount", maximum=AMOUNT_MAX,
                           minimum=-AMOUNT_MAX) == Decimal("-5")
