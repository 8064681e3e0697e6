"""Appending to the ledger: the only code that writes entries or changes a wallet's balance.

`entries_append_many` chains and inserts the postings of wallets already locked; it is called
only by the front door, `wallets.ledger.services.ledger_transaction`, which owns the
transaction, the locks, the audit row and the after-commit signal around it.

Signing: each new entry carries an HMAC-SHA256 (`entry_hash`) under the newest ledger key
(`hoopbilling.signing`) over every one of its fields and its predecessor's hash, and records
the key's id. Entries written before the keyed chain carry a plain SHA-256
(`legacy_entry_hash`) and are vouched for by their wallet's seal (`wallets.ledger.checkpoints`).

Idempotency: every entry has a unique key. Posting a key again returns the entry already
posted and changes nothing, provided it describes the same movement; otherwise it is an
`IdempotencyConflict`.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from moneyed import Money

from hoopbilling.db import BULK_FROM, insert_rows, prepared_cursor, rows_source, where_in
from hoopbilling.errors import CurrencyMismatch, IdempotencyConflict, InvalidInput
from hoopbilling.money import ensure_decimal, fits_amount, quantize_amount
from hoopbilling.signing import SigningKey, signing_key
from wallets.ledger.models import Entry, Wallet

_KINDS = frozenset(Entry.Kind.values)  # Kind.values builds a new list on every read
SIGN_RULES = {
    Entry.Kind.USAGE: "negative",
    Entry.Kind.TOPUP: "positive",
    Entry.Kind.REFUND: "negative",
}


_TEXT_FIELDS = ("idempotency_key", "reference_type", "reference_id", "memo", "actor_label",
                "binding")


@dataclass(frozen=True)
class Posting:
    """One movement to append: what the caller asks for, before seq, balance and hash."""

    kind: str
    amount: Decimal
    currency: str
    idempotency_key: str
    reference_type: str = ""
    reference_id: str = ""
    corrects_id: int | None = None
    memo: str = ""
    actor_label: str = ""
    # A digest of the record the entry pays for, signed with the entry: a usage charge's
    # item, quantity, unit price and amount (`wallets.usage.charging.charge_binding`).
    binding: str = ""

    def __post_init__(self):
        amount = ensure_decimal(self.amount, field="amount")
        object.__setattr__(self, "amount", amount)
        if self.kind not in _KINDS:
            raise InvalidInput(f"Unknown entry kind {self.kind!r}.", field="kind")
        if not fits_amount(amount):
            raise InvalidInput("An amount has at most 6 decimal places.", field="amount")
        if amount == 0:
            raise InvalidInput("An entry moves a non-zero amount.", field="amount")
        rule = SIGN_RULES.get(self.kind)
        if rule == "negative" and amount > 0 or rule == "positive" and amount < 0:
            raise InvalidInput(f"A {self.kind} entry must be {rule}.", field="amount")
        if self.kind == Entry.Kind.REVERSAL and self.corrects_id is None:
            raise InvalidInput("A reversal names the entry it reverses.", field="corrects")
        if not 1 <= len(self.idempotency_key) <= 300:
            raise InvalidInput("An idempotency key has 1 to 300 characters.",
                               field="idempotency_key")
        for name in _TEXT_FIELDS:
            if "\0" in getattr(self, name):
                raise InvalidInput("Ledger text holds no NUL character.", field=name)

    def matches(self, entry: Entry) -> bool:
        return (entry.kind == self.kind and entry.amount.amount == self.amount
                and entry.amount.currency.code == self.currency
                and entry.reference_type == self.reference_type
                and entry.reference_id == self.reference_id)


def legacy_entry_hash(*, prev_hash: str, wallet_id: int, seq: int, kind: str,
                      amount: Decimal, currency: str, balance_after: Decimal,
                      idempotency_key: str, reference_type: str, reference_id: str,
                      corrects_id: int | None, created_at) -> str:
    """The plain SHA-256 entries carried before the keyed chain (`key_id` ""): their
    content without memo and actor label, and the predecessor's hash. Kept to check them."""
    material = "|".join([
        prev_hash, str(wallet_id), str(seq), kind, f"{quantize_amount(amount):f}", currency,
        f"{quantize_amount(balance_after):f}", idempotency_key, reference_type, reference_id,
        str(corrects_id or ""), created_at.astimezone(UTC).isoformat(),
    ])
    return hashlib.sha256(material.encode()).hexdigest()


def entry_material(*, prev_hash: str, wallet_id: int, seq: int, kind: str, amount: Decimal,
                   currency: str, balance_after: Decimal, idempotency_key: str,
                   reference_type: str, reference_id: str, corrects_id: int | None, memo: str,
                   actor_label: str, created_at, binding: str, key_id: str) -> bytes:
    """Every field of an entry and its predecessor's hash, separated by NUL, which no field
    holds (`Posting` refuses it, and PostgreSQL stores no NUL in text): no field can spill
    into the next. Amounts have at most 6 places, so `.6f` writes them exactly."""
    return "\0".join((
        "entry-v2", prev_hash, str(wallet_id), str(seq), kind, f"{amount:.6f}", currency,
        f"{balance_after:.6f}", idempotency_key, reference_type, reference_id,
        "" if corrects_id is None else str(corrects_id), memo, actor_label,
        created_at.astimezone(UTC).isoformat(), binding, key_id)).encode()


def entry_hash(key: SigningKey, **fields) -> str:
    """HMAC-SHA256 under `key` over `entry_material(**fields)` (`key_id` is the key's)."""
    return key.sign(entry_material(key_id=key.key_id, **fields))


@dataclass(slots=True)
class NewEntry:
    """An entry this transaction appends, as plain values: what `entries_append_many` chains
    and inserts (building a model per entry under the wallet locks cost more than its hash
    and its share of the INSERT). `model()` makes the Entry callers get by default."""

    wallet_id: int
    seq: int
    kind: str
    amount: Decimal
    currency: str
    balance_after: Decimal
    idempotency_key: str
    reference_type: str
    reference_id: str
    corrects_id: int | None
    memo: str
    actor_label: str
    created_at: object
    hash: str
    key_id: str
    binding: str
    pk: int | None = None

    def model(self) -> Entry:
        entry = Entry(
            pk=self.pk, wallet_id=self.wallet_id, seq=self.seq, kind=self.kind,
            amount=Money(self.amount, self.currency),
            balance_after=Money(self.balance_after, self.currency),
            idempotency_key=self.idempotency_key, reference_type=self.reference_type,
            reference_id=self.reference_id, corrects_id=self.corrects_id, memo=self.memo,
            actor_label=self.actor_label, created_at=self.created_at, hash=self.hash,
            key_id=self.key_id, binding=self.binding)
        entry._state.adding = False
        entry._state.db = connection.alias
        return entry


INSERT_COLUMNS = ("wallet_id", "seq", "kind", "amount", "amount_currency", "balance_after",
                  "balance_after_currency", "idempotency_key", "reference_type", "reference_id",
                  "corrects_id", "memo", "actor_label", "created_at", "hash", "key_id",
                  "binding")


def _insert(entries: list[NewEntry], heads: list[NewEntry], *,
            unless_posted: bool = False) -> bool:
    """The entries, then each wallet's new head (`heads`: the last new entry of each wallet):
    raw SQL, as this runs under the wallet locks on every posting and the ORM's per-query
    overhead would lengthen how long the locks are held. Sets each entry's pk.

    A few entries go in by one INSERT … VALUES … RETURNING id. From `BULK_FROM` on PostgreSQL
    their ids are drawn from the sequence first and the rows sent by `insert_rows` (COPY),
    and the heads updated by one statement.

    `unless_posted` (a single entry only) inserts nothing when its key is already in the
    ledger and returns False: the replay check costs no extra round trip. With several
    entries a skipped row would break the chain, so they are checked beforehand instead.
    """
    ops = connection.ops
    rows = [(e.wallet_id, e.seq, e.kind, e.amount, e.currency, e.balance_after, e.currency,
             e.idempotency_key, e.reference_type, e.reference_id, e.corrects_id, e.memo,
             e.actor_label, e.created_at, e.hash, e.key_id, e.binding) for e in entries]
    assert not unless_posted or len(entries) == 1
    bulk = connection.vendor == "postgresql" and len(entries) >= BULK_FROM
    with prepared_cursor() as cursor:
        if bulk:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('wallets_entry', 'id')) "
                           "FROM generate_series(1, %s)", [len(entries)])
            for entry, (pk,) in zip(entries, cursor.fetchall(), strict=True):
                entry.pk = pk
            insert_rows(Entry, [dict(zip(("id", *INSERT_COLUMNS), (entry.pk, *row),
                                         strict=True))
                                for entry, row in zip(entries, rows, strict=True)])
        else:
            on_conflict = " ON CONFLICT (idempotency_key) DO NOTHING" if unless_posted else ""
            source, params = rows_source(Entry, list(INSERT_COLUMNS), rows)
            cursor.execute(f"INSERT INTO wallets_entry ({', '.join(INSERT_COLUMNS)}) {source}"
                           f"{on_conflict} RETURNING id, wallet_id, seq", params)
            ids = {(wallet_id, seq): pk for pk, wallet_id, seq in cursor.fetchall()}
            if not ids:
                return False
            for entry in entries:
                entry.pk = ids[(entry.wallet_id, entry.seq)]
        updates = [[ops.adapt_decimalfield_value(head.balance_after, 18, 6), head.seq,
                    head.hash, ops.adapt_datetimefield_value(head.created_at), head.wallet_id]
                   for head in heads]
        if bulk:
            cursor.execute(
                "UPDATE wallets_wallet w SET balance = v.balance, last_seq = v.last_seq, "
                "last_hash = v.last_hash, updated_at = v.updated_at FROM UNNEST("
                "(%s)::numeric[], (%s)::bigint[], (%s)::varchar[], (%s)::timestamptz[], "
                "(%s)::bigint[]) AS v(balance, last_seq, last_hash, updated_at, id) "
                "WHERE w.id = v.id", [list(column) for column in zip(*updates, strict=True)])
        else:
            # Several wallets: executemany sends the updates in one pipeline on PostgreSQL.
            cursor.executemany(
                "UPDATE wallets_wallet SET balance = %s, last_seq = %s, last_hash = %s, "
                "updated_at = %s WHERE id = %s", updates)
    return True


def _already_posted(keys: list[str]) -> dict[str, Entry]:
    where, params = where_in("idempotency_key", keys)
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT id FROM wallets_entry WHERE {where}", params)
        ids = [r[0] for r in cursor.fetchall()]
    if not ids:
        return {}
    return {e.idempotency_key: e for e in Entry.objects.filter(pk__in=ids)}


def _as_replay(found: Entry, posting: Posting, wallet: Wallet) -> tuple[Entry, bool]:
    """The entry already posted under the posting's key, as its replay, if it describes the
    same movement in the same wallet; else IdempotencyConflict."""
    if found.wallet_id != wallet.pk or not posting.matches(found):
        raise IdempotencyConflict(
            f"Idempotency key {posting.idempotency_key!r} was used for another entry.",
            field="idempotency_key",
        )
    return found, True


def _chain(wallet: Wallet, postings: list[Posting], existing: dict[str, Entry], now,
           key: SigningKey) -> list[tuple[Entry | NewEntry, bool]]:
    """The wallet's entries for `postings`, chained after its head (not yet written)."""
    results: list[tuple[Entry | NewEntry, bool]] = []
    currency = wallet.currency
    balance = wallet.balance.amount
    seq, prev_hash = wallet.last_seq, wallet.last_hash
    for posting in postings:
        found = existing.get(posting.idempotency_key)
        if found is not None:
            results.append(_as_replay(found, posting, wallet))
            continue
        if posting.currency != currency:
            raise CurrencyMismatch(
                f"The wallet is in {currency}; an entry in {posting.currency} "
                "cannot be posted to it.", field="currency",
            )
        seq += 1
        balance += posting.amount
        if not fits_amount(balance):
            raise InvalidInput("The balance would leave the supported range.", field="amount")
        digest = entry_hash(
            key, prev_hash=prev_hash, wallet_id=wallet.pk, seq=seq, kind=posting.kind,
            amount=posting.amount, currency=currency, balance_after=balance,
            idempotency_key=posting.idempotency_key, reference_type=posting.reference_type,
            reference_id=posting.reference_id, corrects_id=posting.corrects_id,
            memo=posting.memo, actor_label=posting.actor_label, created_at=now,
            binding=posting.binding,
        )
        results.append((NewEntry(
            wallet_id=wallet.pk, seq=seq, kind=posting.kind, amount=posting.amount,
            currency=currency, balance_after=balance, idempotency_key=posting.idempotency_key,
            reference_type=posting.reference_type, reference_id=posting.reference_id,
            corrects_id=posting.corrects_id, memo=posting.memo,
            actor_label=posting.actor_label, created_at=now, hash=digest, key_id=key.key_id,
            binding=posting.binding), False))
        prev_hash = digest
    return results


def entries_append_many(*, wallets: dict[int, Wallet], postings: dict[int, list[Posting]],
                        keys_new: bool = False, models: bool = True,
                        ) -> dict[int, list[tuple[Entry | NewEntry, bool]]]:
    """Append postings to several wallets the caller has locked, by wallet id. Returns each
    wallet's (entry, replayed) pairs: with `models=False` each new entry is a `NewEntry`
    (plain values, no model to build under the locks; a replayed one is still an Entry).

    A posting whose key is already in the ledger is not appended again: its existing entry is
    returned with `replayed=True` (or `IdempotencyConflict` if it describes another movement).
    However many wallets, it costs one replay check, one INSERT and one pipeline of head
    updates. `keys_new=True` skips the check, for a caller that arbitrates replays itself: a
    key already posted then fails the INSERT (IntegrityError) and nothing is appended.
    """
    keys = [p.idempotency_key for batch in postings.values() for p in batch]
    if not keys:
        return {wallet_id: [] for wallet_id in postings}
    if len(set(keys)) != len(keys):
        raise InvalidInput("The same idempotency key twice in one posting.",
                           field="idempotency_key")
    single = len(keys) == 1
    existing = {} if single or keys_new else _already_posted(keys)
    now = timezone.now()
    key = signing_key()
    results = {wallet_id: _chain(wallets[wallet_id], batch, existing, now, key)
               for wallet_id, batch in postings.items()}
    new_entries = [entry for pairs in results.values() for entry, replayed in pairs
                   if not replayed]
    if not new_entries:
        return results
    heads = {entry.wallet_id: entry for entry in new_entries}
    if not _insert(new_entries, list(heads.values()), unless_posted=single and not keys_new):
        # The single posting's key was already in the ledger: answer from what is there.
        [(wallet_id, [posting])] = postings.items()
        found = _already_posted(keys)[posting.idempotency_key]
        return {wallet_id: [_as_replay(found, posting, wallets[wallet_id])]}
    for wallet_id, head in heads.items():
        wallet = wallets[wallet_id]
        wallet.balance = Money(head.balance_after, head.currency)
        wallet.last_seq, wallet.last_hash = head.seq, head.hash
    if models:
        return {wallet_id: [(entry.model() if isinstance(entry, NewEntry) else entry, replayed)
                            for entry, replayed in pairs]
                for wallet_id, pairs in results.items()}
    return results

