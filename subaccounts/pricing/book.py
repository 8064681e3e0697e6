"""Price resolution: the one answer to "what does this client pay for this item now?".

Order: the client's override → the agency's price → the platform's base cost (zero markup).
All three are effective-dated; the row in force at the moment of the usage applies.
A price is either flat (`price`) or graduated tiers applied to the client's cumulative
quantity in the billing period (docs/api.md#pricing).

A client is a `subaccounts.models.SubAccount` the caller passes in (its `pk` and `agency`);
this package does not import the rest of its app.
"""

import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import JSONField, UUIDField

from hoopbilling.db import prepared_cursor, where_in
from hoopbilling.errors import InvalidInput
from hoopbilling.money import quantize_amount
from subaccounts.pricing.models import BillableItem


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


@dataclass(frozen=True)
class _Row:
    """A price row as the book keeps it: in force from `effective_from` until a newer one."""

    effective_from: datetime
    amount: Decimal | None  # the base cost, or a flat price
    tiers: list | None
    cleared: bool


_COST, _AGENCY, _OVERRIDE = 0, 1, 2

# The three price tables as one UNION, newest first. Raw SQL: it runs on every usage request
# and the ORM's compilation of the same UNION costs ten times its round trip. Amounts travel
# as text (exact on both vendors); NULLs are cast so PostgreSQL can type the UNION.
_BOOK_SQL = """
    SELECT 0, item_id, CAST(NULL AS {uuid}), effective_from, id, CAST(cost AS text),
           CAST(NULL AS {json}), {false}
      FROM agencies_basecost WHERE cost_currency = %s AND effective_from <= %s
    UNION ALL
    SELECT 1, item_id, CAST(NULL AS {uuid}), effective_from, id, CAST(price AS text), tiers,
           {false}
      FROM agencies_agencyprice WHERE agency_id = %s AND effective_from <= %s
    UNION ALL
    SELECT 2, item_id, sub_account_id, effective_from, id, CAST(price AS text), tiers, cleared
      FROM subaccounts_priceoverride WHERE {subs} AND effective_from <= %s
    ORDER BY 4 DESC, 5 DESC
"""


def _book_rows(*, agency, currency: str, sub_account_ids: list, until: datetime):
    """(source, item, sub-account id, _Row) of the book, newest first, on either vendor."""
    ops = connection.ops
    uuid_field = UUIDField()  # agency and sub-account ids, as each vendor stores them
    subs, sub_params = (where_in("sub_account_id", [
        uuid_field.get_db_prep_value(pk, connection) for pk in sub_account_ids])
        if sub_account_ids else ("1 = 0", []))
    sql = _BOOK_SQL.format(
        uuid=uuid_field.db_type(connection), json=JSONField().db_type(connection),
        false="0" if connection.vendor == "sqlite" else "false", subs=subs)
    when = ops.adapt_datetimefield_value(until)
    params = [currency, when, uuid_field.get_db_prep_value(agency.pk, connection), when,
              *sub_params, when]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for source, item, sub_account, start, _, amount, tiers, cleared in rows:
        if not isinstance(start, datetime) or start.tzinfo is None:  # SQLite: text or naive
            start = ops.convert_datetimefield_value(start, None, connection)
        if isinstance(sub_account, str):
            sub_account = uuid.UUID(sub_account)
        yield source, item, sub_account, _Row(
            effective_from=start,
            amount=None if amount is None else quantize_amount(Decimal(amount)),
            tiers=json.loads(tiers) if isinstance(tiers, str) else tiers, cleared=bool(cleared))


class PriceBook:
    """The price rows of an agency and some of its clients, loaded once (one query: a UNION
    of the three tables), that resolve any item at any moment up to `until` in memory.

    A batch of usage events spread over time resolves with one book instead of a query per
    event. Rows are kept newest first, so the row in force at a moment is the first one that
    started at or before it (ties broken by id, the later write wins).
    """

    def __init__(self, *, agency, sub_accounts, until: datetime):
        self.agency = agency
        self.currency = agency.currency
        self.costs: dict[str, list[_Row]] = {}
        self.agency_prices: dict[str, list[_Row]] = {}
        self.overrides: dict[tuple, list[_Row]] = {}
        for source, item, sub_account, row in _book_rows(
                agency=agency, currency=self.currency,
                sub_account_ids=[s.pk for s in sub_accounts], until=until):
            if source == _COST:
                self.costs.setdefault(item, []).append(row)
            elif source == _AGENCY:
                self.agency_prices.setdefault(item, []).append(row)
            else:
                self.overrides.setdefault((sub_account, item), []).append(row)

    @staticmethod
    def _in_force(rows, moment: datetime) -> _Row | None:
        return next((row for row in rows if row.effective_from <= moment), None)

    def resolve(self, *, sub_account, item: BillableItem, moment: datetime) -> ResolvedPrice:
        costs = self.costs.get(item.code, ())
        base = self._in_force(costs, moment)
        if base is None and costs:  # the item has a cost, from a later moment on
            raise InvalidInput(
                f"{item.code} has no base cost in {self.currency} before "
                f"{costs[-1].effective_from:%Y-%m-%d %H:%M} UTC: usage from before then "
                "cannot be priced.", field="occurred_at")
        if base is None:
            raise InvalidInput(f"No base cost for {item.code} in {self.currency}.", field="item")
        override = self._in_force(self.overrides.get((sub_account.pk, item.code), ()), moment)
        if override is not None and not override.cleared:
            row, source = override, PriceSource.OVERRIDE
        else:
            row = self._in_force(self.agency_prices.get(item.code, ()), moment)
            source = PriceSource.AGENCY
        return _resolved(item=item, currency=self.currency, base=base.amount, row=row,
                         source=source)


# A client's book is reused by the next requests about that client in this process while its
# agency's prices_version is unchanged (database triggers raise it on every price write) and
# for at most BOOK_LIFETIME: the book is loaded that far ahead, so a price scheduled to start
# meanwhile is in it. Least recently used books go first.
BOOK_LIFETIME = timedelta(seconds=60)
BOOKS_KEPT = 1024
_books: OrderedDict[tuple, tuple[datetime, PriceBook]] = OrderedDict()
_books_lock = threading.Lock()


def price_book_cached(*, agency, prices_version: int, sub_account,
                      until: datetime) -> PriceBook:
    """The book of one client that resolves any moment up to `until`. `prices_version` must
    be read from the database in the caller's request, not taken from an agency loaded
    earlier."""
    key = (agency.pk, prices_version, sub_account.pk)
    with _books_lock:
        kept = _books.get(key)
        if kept is not None and until <= kept[0]:
            _books.move_to_end(key)
            return kept[1]
    horizon = until + BOOK_LIFETIME
    book = PriceBook(agency=agency, sub_accounts=[sub_account], until=horizon)
    with _books_lock:
        _books[key] = (horizon, book)
        _books.move_to_end(key)
        while len(_books) > BOOKS_KEPT:
            _books.popitem(last=False)
    return book


def price_resolve(*, sub_account, item: BillableItem, moment: datetime) -> ResolvedPrice:
    book = PriceBook(agency=sub_account.agency, sub_accounts=[sub_account], until=moment)
    return book.resolve(sub_account=sub_account, item=item, moment=moment)


def _resolved(*, item, currency, base, row: _Row | None, source) -> ResolvedPrice:
    if row is None:
        return ResolvedPrice(item=item, currency=currency, source=PriceSource.BASE_COST,
                             base_cost=base, price=base, tiers=None)
    return ResolvedPrice(
        item=item, currency=currency, source=source, base_cost=base,
        price=row.amount,
        tiers=tiers_from_json(row.tiers) if row.tiers is not None else None,
    )


def prices_resolve_all(*, sub_account, moment: datetime) -> dict[str, ResolvedPrice]:
    """`price_resolve` for every item at once (one query), by item code, for grids.

    Items without a base cost in the agency's currency are left out.
    """
    book = PriceBook(agency=sub_account.agency, sub_accounts=[sub_account], until=moment)
    return {item.code: book.resolve(sub_account=sub_account, item=item, moment=moment)
            for item in BillableItem.objects.filter(code__in=list(book.costs))}
