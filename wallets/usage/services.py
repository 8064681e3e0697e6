"""Recording usage, the usage services: a batch of raw events (a single event is a batch of
one) becomes charges, and ledger debits for the rebilled ones, in one unit of work of the
ledger. Cleaning an event is `events`, pricing it `charging`.

    event ─► usage_event_clean (`events`: fields, sub-account, item, suspension, measure,
             fingerprint) ─► price at occurred_at from one PriceBook per request
          ─► before the locks: each event's charge as plain values (flat prices priced now)
          ─► one `ledger_transaction` (every wallet of the batch locked once, in pk order):
               replayed key? → the first charge (same fingerprint) or IdempotencyConflict
               the clients read again: a suspension committed meanwhile → 402, nothing
               recorded; an event that takes the balance past the credit limit is recorded
               and the client's blocked items after it in the batch → 402 (the ledger
               suspends the client in this transaction: `wallets.ledger.credit`)
               tiers against the client's UsageCounter for the billing period (`charging`)
               rebilled → usage entry (negative) in the ledger, UsageCharge billed_to=wallet
               absorbed → UsageCharge billed_to=agency, no entry
               usage_recorded(charges) now; after commit, wallet_debited(wallet_id, balance)
               when the debit left the balance below the auto top-up threshold
          ─► after the commit: the answers, from the charges' values

- The wallet lock is taken for absorbed usage too: it serialises the client's counter.
- A batch is validated and priced event by event (a bad event becomes that event's error),
  then every good event is recorded in one transaction: one bad event never sinks the
  others. Should that transaction still fail for one event (a wallet whose balance would
  leave its column, a database error such as a value out of range), it is rolled back whole
  and the events are recorded again one by one, each in its own transaction: the event that
  fails alone answers its error (`EventOutOfRange` for the database's), the others are
  recorded. The bounds at the edge (`events`, `hoopbilling.money`) keep this path for what
  no bounded input can reach.
"""

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import DataError, IntegrityError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from moneyed import Money

from agencies.models import Agency
from hoopbilling.db import insert_rows, prepared_cursor, rows_source
from hoopbilling.errors import DomainError, IdempotencyConflict, InvalidInput
from hoopbilling.money import fits_amount, quantize_amount
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.pricing.book import ResolvedPrice
from subaccounts.pricing.models import BillableItem
from subaccounts.suspension import item_blocked, suspension_blocks
from wallets.ledger.models import Entry
from wallets.ledger.posting import NewEntry, Posting
from wallets.ledger.services import ledger_transaction
from wallets.usage.charging import (
    base_cost_of,
    charge_binding,
    event_amount,
    payer_of,
    period_start_of,
    plain_quantity,
)
from wallets.usage.events import (
    EventReferences,
    UsageEvent,
    suspended_refusal,
    usage_event_clean,
)
from wallets.usage.models import UsageCharge, UsageCounter
from wallets.usage.signals import UsageFacts, usage_recorded

BATCH_MAX = 1000
logger = logging.getLogger(__name__)


class EventOutOfRange(InvalidInput):
    """Recording the event would take a stored total past what its column holds: the
    wallet's balance (a client owing close to 10^12), or the database refused a value."""


def _out_of_range() -> EventOutOfRange:
    return EventOutOfRange(
        "This event cannot be recorded: it would take the client's balance or usage totals "
        "past the largest amount the ledger holds.", field="quantity")


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

    def replayed_for(self, event: UsageEvent) -> "UsageResult":
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


def _entry_key(agency: Agency, key: str) -> str:
    return f"usage:{agency.pk}:{key}"


def _replay_answer(charge: UsageCharge, event: UsageEvent) -> UsageResult:
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


def _counters_take_back(quantities: dict[tuple, Decimal]) -> None:
    """Take the quantities of events refused after `_counters_add` counted them (a batch
    that stops a client at its credit limit) out of the counters again. Rare: one UPDATE
    per counter."""
    meta = UsageCounter._meta
    sub_field, start_field = meta.get_field("sub_account"), meta.get_field("period_start")
    with prepared_cursor() as cursor:
        cursor.executemany(
            f"UPDATE {meta.db_table} SET quantity = quantity - %s WHERE sub_account_id = %s "
            "AND item_id = %s AND period_start = %s",
            [[quantity, sub_field.get_db_prep_value(sub, connection), item,
              start_field.get_db_prep_value(start, connection)]
             for (sub, item, start), quantity in quantities.items()])


@dataclass(slots=True)
class _PendingCharge:
    """An event on its way in: its charge as plain values (`row`, by attname, inserted as it
    is), all but a tiered amount and the entry worked out before the locks are taken."""

    index: int
    event: UsageEvent
    price: ResolvedPrice
    counter_key: tuple
    row: dict
    entry: NewEntry | None = None


def _pending_charge(agency: Agency, index: int, event: UsageEvent, price: ResolvedPrice,
                    now: datetime) -> _PendingCharge:
    """The event's charge before the locks: everything but a tiered amount and the entry."""
    currency = agency.currency
    # A flat price does not depend on the period's usage so far: price it now.
    amount, unit_price, breakdown = (
        (None, None, None) if price.is_tiered else event_amount(event, price, Decimal(0)))
    row = {
        "id": uuid.uuid4(), "agency_id": agency.pk, "sub_account_id": event.sub_account.pk,
        "item_id": event.item.code, "idempotency_key": event.idempotency_key,
        "fingerprint": event.fingerprint, "occurred_at": event.occurred_at, "created_at": now,
        "quantity": event.quantity, "unit_price_currency": currency, "unit_price": unit_price,
        "amount_currency": currency, "amount": amount, "base_cost_unit_currency": currency,
        "base_cost_unit": price.base_cost, "base_cost_amount_currency": currency,
        "base_cost_amount": base_cost_of(event, price),
        "price_source": price.source, "tier_breakdown": breakdown, "details": event.details,
        "billed_to": payer_of(event), "entry_id": None,
    }
    return _PendingCharge(
        index=index, event=event, price=price, row=row,
        counter_key=(event.sub_account.pk, event.item.code, period_start_of(event)))


def _not_blocked(charges: list[_PendingCharge], clients: dict[int, SubAccount],
                 results: dict[int, UsageResult | DomainError]) -> list[_PendingCharge]:
    """The charges whose item the client's suspension, as read under the wallet lock
    (`clients`, by wallet id), does not block; the others answer 402 in `results`."""
    kept = []
    for charge in charges:
        event = charge.event
        client = clients[event.sub_account.wallet.pk]
        if item_blocked(sub_account=client, item=event.item):
            results[charge.index] = suspended_refusal(
                name=event.sub_account.name, item=event.item, reason=client.suspension_reason)
        else:
            kept.append(charge)
    return kept


def _record_events(agency: Agency, pending: list[tuple[int, UsageEvent]],
                   prices: dict[int, ResolvedPrice], *, replays: bool,
                   ) -> dict[int, UsageResult | DomainError]:
    """Record events of one or more wallets in one unit of work of the ledger (its
    transaction, the wallets locked in pk order: `ledger_transaction`). `replays=False`
    skips the lookup of keys already used: the charges' unique key then fails on a replay
    (see `_record_optimistically`).

    Every client's batch of the same wallets waits for these locks, so what does not need
    them (flat prices, the charges' values, the models of the answer) is done before or
    after the transaction."""
    now = timezone.now()
    charges = [_pending_charge(agency, index, event, prices[index], now)
                     for index, event in pending]
    results: dict[int, UsageResult | DomainError] = {}
    with ledger_transaction(wallet_ids={event.sub_account.wallet.pk
                                        for _, event in pending}) as ledger:
        existing = {c.idempotency_key: c for c in UsageCharge.objects.select_related("entry")
                    .filter(agency=agency, idempotency_key__in=[
                        event.idempotency_key for _, event in pending])} if replays else {}
        fresh: list[_PendingCharge] = []
        for charge in charges:
            found = existing.get(charge.event.idempotency_key)
            if found is None:
                fresh.append(charge)
                continue
            try:
                results[charge.index] = _replay_answer(found, charge.event)
            except DomainError as exc:
                results[charge.index] = exc
        if not fresh:
            return results
        # A suspension committed since the events were cleaned (another transaction stopped
        # the client at its credit limit while this one waited for the lock) refuses them now:
        # one read of the batch's clients, which the credit limit reuses.
        clients = ledger.credit.clients()
        fresh = _not_blocked(fresh, clients, results)
        if not fresh:
            return results
        increments: dict[tuple, Decimal] = defaultdict(Decimal)
        for charge in fresh:
            increments[charge.counter_key] += charge.event.quantity
        used = _counters_add(increments)
        currency = agency.currency
        postings: dict[int, list[tuple[_PendingCharge, Posting]]] = defaultdict(list)
        balances: dict[int, Decimal] = {}
        # Wallets whose client this batch stops at its credit limit: from the event after the
        # one that crossed it, its blocked items are refused and record nothing.
        stopped: set[int] = set()
        refused: dict[tuple, Decimal] = defaultdict(Decimal)
        recorded: list[_PendingCharge] = []
        for charge in fresh:
            row, event = charge.row, charge.event
            wallet_id = event.sub_account.wallet.pk
            if wallet_id in stopped and suspension_blocks(
                    agency=clients[wallet_id].agency, items=(), item=event.item):
                results[charge.index] = suspended_refusal(
                    name=event.sub_account.name, item=event.item,
                    reason=SuspensionReason.CREDIT_LIMIT)
                refused[charge.counter_key] += event.quantity
                continue
            recorded.append(charge)
            if charge.price.is_tiered:
                row["amount"], _, row["tier_breakdown"] = event_amount(
                    event, charge.price, used[charge.counter_key])
            used[charge.counter_key] += event.quantity
            if row["billed_to"] == UsageCharge.BilledTo.WALLET and row["amount"] > 0:
                balances[wallet_id] = balances.get(
                    wallet_id, ledger.wallets[wallet_id].balance.amount) - row["amount"]
                if wallet_id not in stopped and ledger.credit.suspension_due(
                        wallet_id, balances[wallet_id]):
                    stopped.add(wallet_id)
                postings[wallet_id].append((charge, Posting(
                    kind=Entry.Kind.USAGE, amount=-row["amount"], currency=currency,
                    idempotency_key=_entry_key(agency, event.idempotency_key),
                    reference_type="usage_charge", reference_id=str(row["id"]),
                    memo=f"{event.item.code} × {plain_quantity(event.quantity)}",
                    binding=charge_binding(
                        charge_id=row["id"], sub_account_id=row["sub_account_id"],
                        item_id=row["item_id"], idempotency_key=row["idempotency_key"],
                        quantity=row["quantity"],
                        unit_price=row["unit_price"], amount=row["amount"],
                        base_cost_amount=row["base_cost_amount"], currency=currency))))
        if refused:
            _counters_take_back(refused)
        fresh = recorded
        for wallet_id, pairs in postings.items():
            after = ledger.wallets[wallet_id].balance.amount + sum(
                posting.amount for _, posting in pairs)
            if not fits_amount(after):
                raise _out_of_range()
        # The charges' lookup and unique key arbitrate replays: the ledger needs no lookup.
        appended = ledger.post({wallet_id: [posting for _, posting in pairs]
                                for wallet_id, pairs in postings.items()},
                               keys_new=True, models=False)
        for wallet_id, pairs in postings.items():
            for (charge, _), (entry, _) in zip(pairs, appended[wallet_id], strict=True):
                charge.row["entry_id"], charge.entry = entry.pk, entry
        insert_rows(UsageCharge, [charge.row for charge in fresh])
        usage_recorded.send(sender=UsageCharge, charges=[UsageFacts(
            agency_id=agency.pk, sub_account_id=charge.event.sub_account.pk,
            item_id=charge.event.item.code, billed_to=charge.row["billed_to"],
            quantity=charge.event.quantity, amount=charge.row["amount"],
            base_cost_amount=charge.row["base_cost_amount"],
            reached_ledger_at=charge.entry.created_at if charge.entry else now)
            for charge in fresh])
    wallets = ledger.wallets
    for charge in fresh:
        after = (charge.entry.balance_after if charge.entry
                 else wallets[charge.event.sub_account.wallet.pk].balance.amount)
        results[charge.index] = UsageResult(row=charge.row, item=charge.event.item,
                                            replayed=False, wallet_balance=after)
    return results


def _record_optimistically(agency, pending, prices):
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
    return _record_events(agency, pending, prices, replays=True)


def _record_isolated(agency, pending, prices) -> dict[int, UsageResult | DomainError]:
    """Record the events together (`_record_optimistically`); if that fails, one by one, so
    only the event that fails alone answers an error (see the module docstring)."""
    try:
        return _record_optimistically(agency, pending, prices)
    except (DomainError, DataError) as exc:
        if len(pending) == 1:
            [(index, _)] = pending
            if isinstance(exc, DomainError):
                return {index: exc}
            logger.warning("usage event refused by the database for agency %s: %s",
                           agency.pk, exc)
            return {index: _out_of_range()}
    results: dict[int, UsageResult | DomainError] = {}
    for one in pending:
        results.update(_record_isolated(agency, [one], prices))
    return results


def usage_record_batch(*, agency: Agency, events: list) -> list[UsageResult | DomainError]:
    """Record up to BATCH_MAX events; one result (or error) per event, in order."""
    if not isinstance(events, list) or not 1 <= len(events) <= BATCH_MAX:
        raise InvalidInput(f"events is a list of 1 to {BATCH_MAX} events.", field="events")
    now = timezone.now()
    references = EventReferences(agency, events)
    results: list[UsageResult | DomainError | None] = [None] * len(events)
    first_by_key: dict[str, int] = {}
    duplicates: list[tuple[int, int, UsageEvent]] = []
    pending: list[tuple[int, UsageEvent]] = []
    prices: dict[int, ResolvedPrice] = {}
    for index, data in enumerate(events):
        try:
            event = usage_event_clean(data=data, references=references, now=now)
            first = first_by_key.get(event.idempotency_key)
            if first is not None:
                duplicates.append((index, first, event))
                continue
            prices[index] = references.price(event)
        except DomainError as exc:
            results[index] = exc
            continue
        first_by_key[event.idempotency_key] = index
        pending.append((index, event))
    if pending:
        for index, outcome in _record_isolated(agency, pending, prices).items():
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
