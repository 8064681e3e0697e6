"""Billing periods: monthly, starting on the agency's anchor day (1–28) at 00:00 UTC."""

from datetime import UTC, datetime


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def period_bounds(*, anchor_day: int, moment: datetime) -> tuple[datetime, datetime]:
    """The [start, end) of the billing period containing `moment`."""
    moment = moment.astimezone(UTC)
    year, month = moment.year, moment.month
    if moment.day < anchor_day:
        year, month = _shift_month(year, month, -1)
    start = datetime(year, month, anchor_day, tzinfo=UTC)
    end_year, end_month = _shift_month(year, month, 1)
    return start, datetime(end_year, end_month, anchor_day, tzinfo=UTC)
