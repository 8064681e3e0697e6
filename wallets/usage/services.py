"""Recording usage: validate an event, measure it, price it, then debit or absorb it.

    event ─► usage_event_clean (fields, sub-account, item, suspension, measure, fingerprint)
          ─► price at occurred_at from a PriceBook (override → agency price → base cost)
          ─► under the client's wallet lock:
               replayed key? → the first charge (same fingerprint) or IdempotencyConflict
               tiers against the client's UsageCounter for the billing period (split at
               each boundary) → amount = quantity × price / price_per, 6 places HALF_UP
               rebilled → usage entry (negative) in the ledger, UsageCharge billed_to=wallet
               absorbed → UsageCharge billed_to=agency, no entry
               usage_recorded(charges) now; after commit, wallet_debited(wallet_id, balance)
               when the debit left the balance below the auto top-up threshold

Decisions worth knowing:
- Graduated tiers: each tier's share is itself quantity × price, kept to 6 places, and the
  charge is the sum of the shares, so the breakdown adds up to the amount shown.
- A zero amount (0 seconds, 0 words, a free tier, a zero price) is recorded as a charge and
  posts no ledger entry (entries never move zero).
- The wallet lock is taken for absorbed usage too: it serialises the client's counter.
- A batch is validated and priced event by event (a bad event becomes that event's error),
  then every good event is recorded in one transaction: the wallets are locked once each,
  in pk order, and each wallet's entries are appended in one call. One bad event never
  sinks the others.
- `occurred_at` without a UTC offset is read as UTC; more than 5 minutes in the future is
  refused. It is part of the fingerprint only when the caller sent it.
"""

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from moneyed import Money

from agencies.models import Agency
from agencies.periods import period_bounds
from hoopbilling.db import (
    insert_rows,
    model_columns,
    models_from_rows,
    prepared_cursor,
    rows_source,
    where_in,
)
from hoopbilling.errors import DomainError, IdempotencyConflict, InvalidInput, NotFound
from hoopbilling.money import decimal_input, fits_amount, quantize_amount
from subaccounts.models import SubAccount
from subaccounts.pricing.book import PriceBook, ResolvedPrice, price_book_cached
from subaccounts.pricing.models import BillableItem
from subaccounts.suspension import item_blocked
from wallets.ledger.locks import wallets_lock
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import NewEntry, Posting, entries_append_many
from wallets.ledger.signals import wallet_debited_after_commit
from wallets.usage import segments
from wallets.usage.models import UsageCharge, UsageCounter
from wallets.usage.signals import UsageFacts, usage_recorded

BATCH_MAX = 1000
MEASURES = ("quantity", "message_body", "duration_seconds", "text")
MEASURE_ITEMS = {
    "message_body": {"sms_outbound"},
    "duration_seconds": {"call_inbound", "call_outbound"},
    "text": {"content_ai"},
}
MAX_TEXT = 20_000
MAX_DURATION = 10 * 24 * 3600
FUTURE_SKEW = timedelta(minutes=5)
QUANTITY_LIMIT = Decimal(10) ** 12


class SubAccountSuspended(DomainError):
    code = "sub_account_suspended"
    status = 402


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


@dataclass
class Quote:
    """What an event costs: the body of a charge before (or without) recording it."""

    event: UsageEvent
    price: ResolvedPrice
    amount: Decimal
    unit_price: Decimal | None
    tier_breakdown: list[dict] | None
    base_cost_amount: Decimal
    billed_to: str
    wallet_balance: Decimal


@dataclass
class UsageResult:
    """A charge recorded or replayed. `row` holds its values by attname: the API answers from
    it. `charge`, the model, is built on first use for a fresh charge (the API never needs it,
    and a batch of 500 models costs more than pricing the batch)."""

    row: dict
    item: BillableItem
    replayed: bool
    wallet_balance: Decimal
    model: UsageCharge | None = None

    @property
    def charge(self) -> UsageCharge:
        if self.model is None:
            self.model = UsageCharge.from_db(connection.alias, None,
                                             [self.row[name] for name in _CHARGE_FIELDS])
            self.model.item = self.item
        return self.model

    def replayed_for(self, event: "UsageEvent") -> "UsageResult":
        """This charge as the answer to a replay of its key by `event`, the same event or
        IdempotencyConflict."""
        if self.row["fingerprint"] != event.fingerprint:
            raise IdempotencyConflict(
                f"Idempotency key {event.idempotency_key!r} was already used for another "
                "event.", field="idempotency_key")
        return UsageResult(row=self.row, item=self.item, replayed=True,
                           wallet_balance=self.wallet_balance, model=self.model)


_CHARGE_FIELDS = [field.attname for field in UsageCharge._meta.concrete_fields]


def charge_values(charge: UsageCharge) -> dict:
    """A stored charge as `UsageResult.row` holds one: values by attname, amounts as
    Decimals."""
    row = {name: getattr(charge, name) for name in _CHARGE_FIELDS}
    for name, value in row.items():
        if isinstance(value, Money):
            row[name] = value.amount
    return row


# --- validation -----------------------------------------------------------------------------

def _decimal_quantity(raw) -> Decimal:
    value = decimal_input(raw)
    if value is None:
        raise InvalidInput(f"{raw!r} is not a decimal number such as \"12.5\".",
                           field="quantity")
    if value.is_signed():  # "-0" too
        raise InvalidInput("A quantity is never negative.", field="quantity")
    if not fits_amount(value) or value >= QUANTITY_LIMIT:
        raise InvalidInput("A quantity has at most 6 decimal places and 12 digits before "
                           "the point.", field="quantity")
    return value


def _occurred_at(raw, now: datetime) -> datetime:
    if raw is None:
        return now
    try:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
    except (ValueError, OverflowError):  # well formed, but no such moment: "2026-02-30…"
        moment = None
    if moment is None:
        raise InvalidInput("occurred_at is an ISO 8601 date and time, e.g. "
                           "\"2026-03-01T12:00:00Z\".", field="occurred_at")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if moment > now + FUTURE_SKEW:
        raise InvalidInput("occurred_at is in the future.", field="occurred_at")
    return moment


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


class _Lookups:
    """Per-request caches: the catalog and the agency's sub-accounts named by the events."""

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


def usage_event_clean(*, data, lookups: _Lookups, now: datetime,
                      require_key: bool = True) -> UsageEvent:
    """Validate and measure one raw event; raises a DomainError naming the field."""
    if not isinstance(data, dict):
        raise InvalidInput("An event is a JSON object.", field="event")
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
    item = lookups.items.get(data.get("item")) if isinstance(data.get("item"), str) else None
    if item is None:
        raise InvalidInput(f"Unknown item {data.get('item')!r}; use one of "
                           f"{', '.join(lookups.items)}.", field="item")
    occurred_at = _occurred_at(data.get("occurred_at"), now)
    measure, value, quantity, details = _measure(item, data)
    sub_account = lookups.sub_accounts.get(sub_account_id)
    if sub_account is None:
        raise NotFound(f"No sub-account {raw_sub}.", field="sub_account")
    if item_blocked(sub_account=sub_account, item=item):
        raise SubAccountSuspended(
            f"{sub_account.name} is suspended: {item.code} is blocked until the outstanding "
            "balance is paid.", field="sub_account")
    return UsageEvent(
        sub_account=sub_account, item=item, idempotency_key=key if require_key else "",
        occurred_at=occurred_at, quantity=quantity, details=details,
        fingerprint=_fingerprint(sub_account_id=sub_account.pk, item_code=item.code,
                                 occurred_at_raw=data.get("occurred_at"), measure=measure,
                                 value=value),
    )


# --- pricing --------------------------------------------------------------------------------

def plain_quantity(value: Decimal) -> str:
    """A quantity as the caller would write it: "2", "12.5" (not "2.000000")."""
    return f"{value.normalize():f}"


def _share(quantity: Decimal, price: Decimal, price_per: int) -> Decimal:
    return quantize_amount(quantity * price / price_per)


def _price_event(event: UsageEvent, price: ResolvedPrice, already: Decimal,
                 ) -> tuple[Decimal, Decimal | None, list[dict] | None]:
    """(amount, flat unit price or None, tier breakdown or None) given the quantity the
    client already used of this item in the period.

    A charge split across tiers is rounded once, as a whole (docs/api.md#pricing); each tier's
    row shows the rounded running total less the one before, so the rows add up to it."""
    per = event.item.price_per
    if not price.is_tiered:
        return _share(event.quantity, price.price, per), price.price, None
    breakdown, remaining, position = [], event.quantity, already
    exact = amount = Decimal(0)
    tiers = list(price.tiers)
    for number, tier in enumerate(tiers):
        last = number == len(tiers) - 1
        if tier.up_to is not None and position >= tier.up_to and not last:
            continue
        # The last tier takes whatever is left, even if its `up_to` is not open-ended.
        take = remaining if tier.up_to is None or last else min(remaining,
                                                                  tier.up_to - position)
        if take > 0 or not breakdown:
            exact += take * tier.price / per
            running = quantize_amount(exact)
            breakdown.append({
                "up_to": None if tier.up_to is None else f"{tier.up_to}",
                "price": f"{tier.price}", "quantity": plain_quantity(take),
                "amount": f"{running - amount}"})
            amount = running
        remaining -= take
        position += take
        if remaining <= 0:
            break
    return amount, None, breakdown


def _billed_to(event: UsageEvent) -> str:
    """Rebilled usage debits the client's wallet; absorbed usage stays with the agency."""
    return (UsageCharge.BilledTo.WALLET if event.sub_account.is_rebilled
            else UsageCharge.BilledTo.AGENCY)


def _base_cost_amount(event: UsageEvent, price: ResolvedPrice) -> Decimal:
    return _share(event.quantity, price.base_cost, event.item.price_per)


def _quote(event: UsageEvent, price: ResolvedPrice, already: Decimal, balance: Decimal) -> Quote:
    amount, unit_price, breakdown = _price_event(event, price, already)
    billed_to = _billed_to(event)
    return Quote(
        event=event, price=price, amount=amount, unit_price=unit_price,
        tier_breakdown=breakdown, base_cost_amount=_base_cost_amount(event, price),
        billed_to=billed_to,
        wallet_balance=(balance - amount if billed_to == UsageCharge.BilledTo.WALLET
                        else balance),
    )


def _period_start(event: UsageEvent) -> datetime:
    return period_bounds(anchor_day=event.sub_account.agency.billing_anchor_day,
                         moment=event.occurred_at)[0]


# --- recording ------------------------------------------------------------------------------

def _entry_key(agency: Agency, key: str) -> str:
    return f"usage:{agency.pk}:{key}"


def _replay(charge: UsageCharge, event: UsageEvent) -> UsageResult:
    """The answer to a key already recorded (`charge`, with its entry): the first answer,
    or IdempotencyConflict."""
    balance = (charge.entry.balance_after.amount if charge.entry_id
               else event.sub_account.wallet.balance.amount)
    return UsageResult(row=charge_values(charge), item=event.item, replayed=False,
                       wallet_balance=balance, model=charge).replayed_for(event)


def _counters_add(increments: dict[tuple, Decimal]) -> dict[tuple, Decimal]:
    """Add to the clients' period counters in one statement; returns the totals before.

    Keys are (sub_account_id, item_code, period_start). The caller holds the clients' wallet
    locks, the only writers of their counters.
    """
    source, params = rows_source(
        UsageCounter, ["sub_account_id", "item_id", "period_start", "quantity"],
        [(sub, item, start, qty) for (sub, item, start), qty in increments.items()])
    table = UsageCounter._meta.db_table
    sql = (f"INSERT INTO {table} (sub_account_id, item_id, period_start, quantity) "
           f"{source} ON CONFLICT (sub_account_id, item_id, period_start) "
           f"DO UPDATE SET quantity = {table}.quantity + excluded.quantity "
           "RETURNING sub_account_id, item_id, period_start, quantity")
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    totals = {}
    for sub, item, start, total in returned:
        if not isinstance(sub, uuid.UUID):  # SQLite hands back the text it stores
            sub = uuid.UUID(sub)
            start = start if isinstance(start, datetime) else parse_datetime(start)
        if timezone.is_naive(start):
            start = start.replace(tzinfo=UTC)
        totals[(sub, item, start)] = quantize_amount(Decimal(str(total)))
    return {key: totals[key] - qty for key, qty in increments.items()}


@dataclass(slots=True)
class _Staged:
    """An event on its way in: its charge as plain values (`row`, by attname, inserted as it
    is), all but a tiered amount and the entry worked out before the locks are taken."""

    index: int
    event: UsageEvent
    price: ResolvedPrice
    counter_key: tuple
    row: dict
    entry: NewEntry | None = None


def _stage(agency: Agency, index: int, event: UsageEvent, price: ResolvedPrice,
           now: datetime) -> _Staged:
    """The event's charge before the locks: everything but a tiered amount and the entry."""
    currency = agency.currency
    # A flat price does not depend on the period's usage so far: price it now.
    amount, unit_price, breakdown = (
        (None, None, None) if price.is_tiered else _price_event(event, price, Decimal(0)))
    row = {
        "id": uuid.uuid4(), "agency_id": agency.pk, "sub_account_id": event.sub_account.pk,
        "item_id": event.item.code, "idempotency_key": event.idempotency_key,
        "fingerprint": event.fingerprint, "occurred_at": event.occurred_at, "created_at": now,
        "quantity": event.quantity, "unit_price_currency": currency, "unit_price": unit_price,
        "amount_currency": currency, "amount": amount, "base_cost_unit_currency": currency,
        "base_cost_unit": price.base_cost, "base_cost_amount_currency": currency,
        "base_cost_amount": _base_cost_amount(event, price),
        "price_source": price.source, "tier_breakdown": breakdown, "details": event.details,
        "billed_to": _billed_to(event), "entry_id": None,
    }
    return _Staged(index=index, event=event, price=price, row=row,
                   counter_key=(event.sub_account.pk, event.item.code, _period_start(event)))


def _record_events(agency: Agency, pending: list[tuple[int, UsageEvent]],
                   prices: dict[int, ResolvedPrice], *, replays: bool,
                   ) -> dict[int, UsageResult | DomainError]:
    """Record events of one or more wallets in one transaction, each wallet's under its lock
    (taken in pk order: see wallets.locks). `replays=False` skips the lookup of keys already
    used: the charges' unique key then fails on a replay (see `_record_safely`).

    Every client's batch of the same wallets waits for these locks, so what does not need
    them (flat prices, the charges' values, the models of the answer) is done before or
    after the transaction."""
    now = timezone.now()
    staged_events = [_stage(agency, index, event, prices[index], now)
                     for index, event in pending]
    results: dict[int, UsageResult | DomainError] = {}
    with transaction.atomic():
        wallets = wallets_lock({event.sub_account.wallet.pk for _, event in pending})
        existing = {c.idempotency_key: c for c in UsageCharge.objects.select_related("entry")
                    .filter(agency=agency, idempotency_key__in=[
                        event.idempotency_key for _, event in pending])} if replays else {}
        fresh: list[_Staged] = []
        for staged in staged_events:
            found = existing.get(staged.event.idempotency_key)
            if found is None:
                fresh.append(staged)
                continue
            try:
                results[staged.index] = _replay(found, staged.event)
            except DomainError as exc:
                results[staged.index] = exc
        if not fresh:
            return results
        increments: dict[tuple, Decimal] = defaultdict(Decimal)
        for staged in fresh:
            increments[staged.counter_key] += staged.event.quantity
        used = _counters_add(increments)
        currency = agency.currency
        postings: dict[int, list[tuple[_Staged, Posting]]] = defaultdict(list)
        for staged in fresh:
            row, event = staged.row, staged.event
            if staged.price.is_tiered:
                row["amount"], _, row["tier_breakdown"] = _price_event(
                    event, staged.price, used[staged.counter_key])
            used[staged.counter_key] += event.quantity
            if row["billed_to"] == UsageCharge.BilledTo.WALLET and row["amount"] > 0:
                postings[event.sub_account.wallet.pk].append((staged, Posting(
                    kind=Entry.Kind.USAGE, amount=-row["amount"], currency=currency,
                    idempotency_key=_entry_key(agency, event.idempotency_key),
                    reference_type="usage_charge", reference_id=str(row["id"]),
                    memo=f"{event.item.code} × {plain_quantity(event.quantity)}")))
        # The charges' lookup and unique key arbitrate replays: the ledger needs no lookup.
        appended = entries_append_many(
            wallets=wallets, postings={wallet_id: [posting for _, posting in pairs]
                                       for wallet_id, pairs in postings.items()},
            keys_new=True, models=False)
        for wallet_id, pairs in postings.items():
            for (staged, _), (entry, _) in zip(pairs, appended[wallet_id], strict=True):
                staged.row["entry_id"], staged.entry = entry.pk, entry
        insert_rows(UsageCharge, [staged.row for staged in fresh])
        usage_recorded.send(sender=UsageCharge, charges=[UsageFacts(
            agency_id=agency.pk, sub_account_id=staged.event.sub_account.pk,
            item_id=staged.event.item.code, billed_to=staged.row["billed_to"],
            quantity=staged.event.quantity, amount=staged.row["amount"],
            base_cost_amount=staged.row["base_cost_amount"],
            reached_ledger_at=staged.entry.created_at if staged.entry else now)
            for staged in fresh])
        for wallet_id in postings:
            wallet_debited_after_commit(sender=UsageCharge, wallet=wallets[wallet_id])
    for staged in fresh:
        after = (staged.entry.balance_after if staged.entry
                 else wallets[staged.event.sub_account.wallet.pk].balance.amount)
        results[staged.index] = UsageResult(row=staged.row, item=staged.event.item,
                                            replayed=False, wallet_balance=after)
    return results


def _record_safely(agency, pending, prices):
    """Keys are taken to be new, so the common case pays no lookup: the charges' unique
    (agency, idempotency key) is the arbiter. A replayed key fails that insert and rolls the
    whole transaction back; the events are then recorded again with the lookup, which answers
    replays and conflicts. A concurrent duplicate of a key under another wallet's lock can
    fail that once more: the last try sees the winner's charge. (The first try skips the
    ledger's own lookup too, so a replayed entry also fails its insert.)"""
    try:
        return _record_events(agency, pending, prices, replays=False)
    except IntegrityError:
        pass
    try:
        return _record_events(agency, pending, prices, replays=True)
    except IntegrityError:
        pass
    try:
        return _record_events(agency, pending, prices, replays=True)
    except DomainError as exc:
        return {index: exc for index, _ in pending}


def usage_record_batch(*, agency: Agency, events: list) -> list[UsageResult | DomainError]:
    """Record up to BATCH_MAX events; one result (or error) per event, in order."""
    if not isinstance(events, list) or not 1 <= len(events) <= BATCH_MAX:
        raise InvalidInput(f"events is a list of 1 to {BATCH_MAX} events.", field="events")
    now = timezone.now()
    lookups = _Lookups(agency, events)
    results: list[UsageResult | DomainError | None] = [None] * len(events)
    first_by_key: dict[str, int] = {}
    duplicates: list[tuple[int, int, UsageEvent]] = []
    pending: list[tuple[int, UsageEvent]] = []
    prices: dict[int, ResolvedPrice] = {}
    for index, data in enumerate(events):
        try:
            event = usage_event_clean(data=data, lookups=lookups, now=now)
            first = first_by_key.get(event.idempotency_key)
            if first is not None:
                duplicates.append((index, first, event))
                continue
            prices[index] = lookups.price(event)
        except DomainError as exc:
            results[index] = exc
            continue
        first_by_key[event.idempotency_key] = index
        pending.append((index, event))
    if pending:
        for index, outcome in _record_safely(agency, pending, prices).items():
            results[index] = outcome
    for index, first, event in duplicates:
        outcome = results[first]
        if isinstance(outcome, UsageResult):
            try:
                results[index] = outcome.replayed_for(event)
            except DomainError as exc:
                results[index] = exc
        else:
            results[index] = outcome
    return results


def usage_record(*, agency: Agency, event: dict) -> UsageResult:
    """Record one event. Raises the DomainError of the event when it is refused."""
    [outcome] = usage_record_batch(agency=agency, events=[event])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def usage_quote(*, agency: Agency, event: dict) -> Quote:
    """What `event` would charge now, given the client's usage so far; records nothing."""
    lookups = _Lookups(agency, [event])
    cleaned = usage_event_clean(data=event, lookups=lookups, now=timezone.now(),
                                require_key=False)
    counter = UsageCounter.objects.filter(
        sub_account=cleaned.sub_account, item=cleaned.item,
        period_start=_period_start(cleaned)).values_list("quantity", flat=True).first()
    return _quote(cleaned, lookups.price(cleaned), counter or Decimal(0),
                  cleaned.sub_account.wallet.balance.amount)
