"""The API's JSON parser: DRF's, plus refusals every endpoint needs, so no view has to repeat
them (and none can forget):

- text with a NUL character or an unpaired UTF-16 surrogate (`"\\ud800"`) anywhere in the
  body is refused with the field that carries it (PostgreSQL cannot store either, and they
  are never meant);
- a body nested too deeply for the parser answers 400 instead of crashing.
Right-to-left and other Unicode text is kept as sent. A view that answers the items of a list
one by one (`/usage/batch`) names that list in `items_checked_each`: the parser leaves its
items to the view, which refuses the one item with such text alone (`unstorable_field`).

And the bounds of the dates and cursors every edge takes (API, pages, exports;
docs/api.md#limits), so each refuses the same way, naming the field, before a date that
Python or the database cannot hold or a cursor past a bigint reaches a query:

- a moment (`occurred_at`) is from EARLIEST (2000-01-01 UTC: no billing data is older) up
  to the caller's `latest` (now and a few minutes of clock skew);
- a day filter is from DAY_MIN to DAY_MAX (a date the pages can add a day to);
- a cursor is a sequence number: ASCII digits, from 1 to SEQ_MAX (a bigint).
"""

import re
from datetime import UTC, date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from hoopbilling.errors import InvalidInput

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
DAY_MIN = EARLIEST.date()
DAY_MAX = date(2099, 12, 31)
SEQ_MAX = 2 ** 63 - 1
_SEQ = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "Text may not contain NUL characters or unpaired surrogates."


def unstorable_field(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) that cannot be stored, or None."""
    if isinstance(value, str):
        return (path or "body") if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, inner in value.items():
            inner_path = f"{path}.{key}" if path else str(key)
            if _UNSTORABLE.search(str(key)):
                return path or "body"
            found = unstorable_field(inner, inner_path)
            if found:
                return found
    if isinstance(value, list):
        for index, inner in enumerate(value):
            found = unstorable_field(inner, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        each = getattr((parser_context or {}).get("view"), "items_checked_each", None)
        checked = data
        if each and isinstance(data, dict) and isinstance(data.get(each), list):
            checked = {key: None if key == each else value for key, value in data.items()}
        field = unstorable_field(checked)
        if field:
            raise exceptions.ValidationError({field: [UNSTORABLE_TEXT]})
        return data


def moment_in_window(raw, *, field: str, latest: datetime) -> datetime:
    """`raw`, an ISO 8601 date and time (without a UTC offset: UTC), from EARLIEST to `latest`;
    else InvalidInput naming `field`. Compared before any conversion: a moment such as
    "0001-01-01T00:00:00+01:00" has no UTC equivalent Python can hold."""
    try:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
    except (ValueError, OverflowError):  # well formed, but no such moment: "2026-02-30…"
        moment = None
    if moment is None:
        raise InvalidInput(f"{field} is an ISO 8601 date and time, e.g. "
                           "\"2026-03-01T12:00:00Z\".", field=field)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if moment < EARLIEST:
        raise InvalidInput(f"{field} is before {EARLIEST:%Y-%m-%d}: no billing data is "
                           "that old.", field=field)
    if moment > latest:
        raise InvalidInput(f"{field} is in the future.", field=field)
    return moment


def day_in_range(day: date, *, field: str) -> date:
    """A day filter from DAY_MIN to DAY_MAX, else InvalidInput naming `field`."""
    if not DAY_MIN <= day <= DAY_MAX:
        raise InvalidInput(f"Pick a date from {DAY_MIN:%Y-%m-%d} to {DAY_MAX:%Y-%m-%d}.",
                           field=field)
    return day


def seq_cursor(text: str, *, field: str) -> int:
    """A keyset cursor: a sequence number in ASCII digits, 1 to SEQ_MAX; else InvalidInput."""
    if not isinstance(text, str) or not _SEQ.fullmatch(text) or int(text) > SEQ_MAX:
        raise InvalidInput("Unknown cursor; use the one the previous page gave.", field=field)
    return int(text)
