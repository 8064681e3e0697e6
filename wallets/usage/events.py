"""A usage event as the API sends it (docs/api.md#usage), made ready to price: its fields
checked one by one (an error names the field), its sub-account and item found, a suspension
checked (again under the wallet lock: `services`), its quantity measured (`segments`) and
its fingerprint taken; and `EventReferences`, what the events of one request refer to, read
once.

`occurred_at` without a UTC offset is read as UTC; before 2000 or more than 5 minutes in the
future is refused (`hoopbilling.parsers.moment_in_window`). It is part of the fingerprint only
when the caller sent it. Every measure is bounded (docs/api.md#limits): a quantity by
`QUANTITY_MAX`, a call by MAX_DURATION, a text by MAX_TEXT, so an event's charge always fits
its column and a period's sum its counter (the arithmetic is in `hoopbilling.money`).
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from agencies.models import Agency
from hoopbilling.db import model_columns, models_from_rows, prepared_cursor, where_in
from hoopbilling.errors import DomainError, InvalidInput, NotFound
from hoopbilling.money import QUANTITY_MAX, bounded_decimal, decimal_input
from hoopbilling.parsers import UNSTORABLE_TEXT, moment_in_window, unstorable_field
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.pricing.book import PriceBook, ResolvedPrice, price_book_cached
from subaccounts.pricing.models import BillableItem
from subaccounts.suspension import item_blocked
from wallets.ledger.models import Wallet
from wallets.usage import segments

MEASURES = ("quantity", "message_body", "duration_seconds", "text")
MEASURE_ITEMS = {
    "message_body": {"sms_outbound"},
    "duration_seconds": {"call_inbound", "call_outbound"},
    "text": {"content_ai"},
}
MAX_TEXT = 20_000
MAX_DURATION = 10 * 24 * 3600
FUTURE_SKEW = timedelta(minutes=5)


class SubAccountSuspended(DomainError):
    """The client is suspended and the item is one its suspension blocks."""

    code = "sub_account_suspended"
    status = 402


_UNTIL = {
    SuspensionReason.CREDIT_LIMIT: "its balance is back within its credit limit",
    SuspensionReason.AGENCY: "the agency resumes it",
}


def suspended_refusal(*, name: str, item: BillableItem, reason: str) -> SubAccountSuspended:
    """The 402 of an event whose item the client's suspension (for `reason`) blocks."""
    until = _UNTIL.get(reason, "the outstanding balance is paid")
    return SubAccountSuspended(f"{name} is suspended: {item.code} is blocked until {until}.",
                               field="sub_account")


@dataclass
class UsageEvent:
    """A validated, measured event, ready to price."""

    sub_account: SubAccount
    item: BillableItem
    idempotency_key: str
    occurred_at: datetime
    quantity: Decimal
    details: dict
    fingerprint: str


def _decimal_quantity(raw) -> Decimal:
    value = decimal_input(raw)
    if value is None:
        raise InvalidInput(f"{raw!r} is not a decimal number such as \"12.5\".",
                           field="quantity")
    return bounded_decimal(value, field="quantity", maximum=QUANTITY_MAX, what="A quantity")


def _occurred_at(raw, now: datetime) -> datetime:
    if raw is None:
        return now
    return moment_in_window(raw, field="occurred_at", latest=now + FUTURE_SKEW)


def _measure(item: BillableItem, data: dict) -> tuple[str, object, Decimal, dict]:
    """(measure name, normalised input, quantity, details) for exactly one measure."""
    given = [name for name in MEASURES if data.get(name) is not None]
    if len(given) != 1:
        raise InvalidInput(
            "Give exactly one of quantity, message_body, duration_seconds or text"
            + (f", not {' and '.join(given)}." if given else "."),
            field=given[-1] if given else "quantity")
    [name] = given
    raw = data[name]
    if name == "quantity":
        value = _decimal_quantity(raw)
        return name, f"{value.normalize():f}", value, {}
    if item.code not in MEASURE_ITEMS[name]:
        allowed = ", ".join(sorted(MEASURE_ITEMS[name]))
        raise InvalidInput(f"{name} is only for {allowed}; send quantity for {item.code}.",
                           field=name)
    if name == "duration_seconds":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidInput("duration_seconds is a whole number of seconds.", field=name)
        if not 0 <= raw <= MAX_DURATION:
            raise InvalidInput(f"duration_seconds is between 0 and {MAX_DURATION}.", field=name)
        minutes = segments.call_minutes(raw)
        return name, raw, Decimal(minutes), {"duration_seconds": raw, "minutes": minutes}
    if not isinstance(raw, str):
        raise InvalidInput(f"{name} is a string.", field=name)
    if len(raw) > MAX_TEXT:
        raise InvalidInput(f"{name} has at most {MAX_TEXT} characters.", field=name)
    if name == "message_body":
        sms = segments.sms_measure(raw)
        return name, raw, Decimal(sms.segments), {
            "encoding": sms.encoding, "segments": sms.segments, "characters": len(raw),
            "units": sms.units}
    words = segments.word_count(raw)
    return name, raw, Decimal(words), {"words": words}


def _fingerprint(*, sub_account_id, item_code, occurred_at_raw, measure, value) -> str:
    material = json.dumps([str(sub_account_id), item_code, occurred_at_raw, measure, value],
                          separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def _catalog() -> dict[str, BillableItem]:
    """The nine fixed items (docs/api.md#item-codes-and-measurement), read once per process;
    the catalog only changes by migration."""
    if not _CATALOG:
        _CATALOG.update({item.code: item for item in BillableItem.objects.all()})
    return _CATALOG


_CATALOG: dict[str, BillableItem] = {}


def _sub_accounts(agency: Agency, ids) -> tuple[dict[uuid.UUID, SubAccount], int | None]:
    """The agency's sub-accounts of `ids` with their wallets, and the agency's prices_version
    as of now (None when none is found): one prepared statement."""
    uuid_field = SubAccount._meta.pk
    where, params = where_in("s.id", [uuid_field.get_db_prep_value(pk, connection)
                                      for pk in ids])
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {model_columns(SubAccount, 's')}, {model_columns(Wallet, 'w')}, "
            "a.prices_version FROM subaccounts_subaccount s "
            "JOIN wallets_wallet w ON w.sub_account_id = s.id "
            "JOIN agencies_agency a ON a.id = s.agency_id "
            f"WHERE s.agency_id = %s AND {where}",
            [uuid_field.get_db_prep_value(agency.pk, connection), *params])
        rows = cursor.fetchall()
    width = len(SubAccount._meta.concrete_fields)
    found = {}
    for sub_account, wallet in zip(models_from_rows(SubAccount, [row[:width] for row in rows]),
                                   models_from_rows(Wallet, [row[width:-1] for row in rows]),
                                   strict=True):
        sub_account.agency = agency  # the caller's own: no join, no second copy
        sub_account.wallet = wallet
        found[sub_account.pk] = sub_account
    return found, rows[0][-1] if rows else None


class EventReferences:
    """What the events of one request refer to, read once: the item catalog, the agency's
    sub-accounts they name (each with its wallet, one prepared statement) and one price book
    for them all (`price`)."""

    def __init__(self, agency: Agency, events: list):
        self.agency = agency
        self.items = _catalog()
        ids = set()
        for data in events:
            if isinstance(data, dict):
                try:
                    ids.add(uuid.UUID(str(data.get("sub_account"))))
                except ValueError:
                    continue
        self.sub_accounts, self.prices_version = (_sub_accounts(agency, ids) if ids
                                                  else ({}, None))
        self._book: PriceBook | None = None

    def price(self, event: UsageEvent) -> ResolvedPrice:
        # One book for the whole request: one query however the events spread in time
        # (an event is at most FUTURE_SKEW ahead of now). A request about one client (every
        # single event) reuses that client's book from earlier requests while the agency's
        # prices are unchanged.
        if self._book is None:
            until = timezone.now() + FUTURE_SKEW
            if len(self.sub_accounts) == 1:
                self._book = price_book_cached(
                    agency=self.agency, prices_version=self.prices_version,
                    sub_account=event.sub_account, until=until)
            else:
                self._book = PriceBook(agency=self.agency,
                                       sub_accounts=self.sub_accounts.values(), until=until)
        return self._book.resolve(sub_account=event.sub_account, item=event.item,
                                  moment=event.occurred_at)


def usage_event_clean(*, data, references: EventReferences, now: datetime,
                      require_key: bool = True) -> UsageEvent:
    """Validate and measure one raw event; raises a DomainError naming the field."""
    if not isinstance(data, dict):
        raise InvalidInput("An event is a JSON object.", field="event")
    unstorable = unstorable_field(data)  # a batch's events are left to us by the parser
    if unstorable:
        raise InvalidInput(UNSTORABLE_TEXT, field=unstorable)
    unknown = set(data) - {"sub_account", "item", "idempotency_key", "occurred_at", *MEASURES}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"Unknown field {name!r}.", field=name)
    key = data.get("idempotency_key")
    if require_key and (not isinstance(key, str) or not 1 <= len(key) <= 255):
        raise InvalidInput("An idempotency key is a string of 1 to 255 characters.",
                           field="idempotency_key")
    raw_sub = data.get("sub_account")
    if not isinstance(raw_sub, str) or not raw_sub:
        raise InvalidInput("sub_account is the id of one of your sub-accounts.",
                           field="sub_account")
    try:
        sub_account_id = uuid.UUID(raw_sub)
    except ValueError as exc:
        raise InvalidInput(f"{raw_sub!r} is not a sub-account id.", field="sub_account") from exc
    item = references.items.get(data.get("item")) if isinstance(data.get("item"), str) else None
    if item is None:
        raise InvalidInput(f"Unknown item {data.get('item')!r}; use one of "
                           f"{', '.join(references.items)}.", field="item")
    occurred_at = _occurred_at(data.get("occurred_at"), now)
    measure, value, quantity, details = _measure(item, data)
    sub_account = references.sub_accounts.get(sub_account_id)
    if sub_account is None:
        raise NotFound(f"No sub-account {raw_sub}.", field="sub_account")
    if item_blocked(sub_account=sub_account, item=item):
        raise suspended_refusal(name=sub_account.name, item=item,
                                reason=sub_account.suspension_reason)
    return UsageEvent(
        sub_account=sub_account, item=item, idempotency_key=key if require_key else "",
        occurred_at=occurred_at, quantity=quantity, details=details,
        fingerprint=_fingerprint(sub_account_id=sub_account.pk, item_code=item.code,
                                 occurred_at_raw=data.get("occurred_at"), measure=measure,
                                 value=value),
    )
