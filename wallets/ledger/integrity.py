"""Checking the ledger: every wallet's cached balance equals the sum of its entries, and no
entry was changed, removed or inserted behind the application's back.

Each wallet's entries are walked in seq order, all wallets in one query:

- seq follows seq, balance_after is the running sum, the head matches the last entry;
- a keyed entry's hash is the HMAC under the key its `key_id` names (one of
  LEDGER_HMAC_KEYS) of all its fields and its predecessor's hash, and no entry is signed with
  an older key than the one before it (a leaked retired key cannot append);
- an unkeyed entry (written before the keyed chain) has its plain SHA-256, lies at or below
  the wallet's seal, and the seal's digest of all their fields matches;
- every checkpoint of the wallet is signed by a ledger key and its seq, hash and balance are
  still the chain's (`wallets.ledger.checkpoints`).

The usage charges and their roll-ups are checked one layer up (`wallets.usage.integrity`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from hoopbilling.signing import key_of
from wallets.ledger.checkpoints import (
    LEGACY_DIGEST_START,
    checkpoint_valid,
    legacy_digest_next,
)
from wallets.ledger.models import GENESIS_HASH, Entry, LedgerCheckpoint, Wallet
from wallets.ledger.posting import entry_hash, entry_material, legacy_entry_hash

ENTRY_FIELDS = ("wallet_id", "seq", "kind", "amount", "amount_currency", "balance_after",
                "idempotency_key", "reference_type", "reference_id", "corrects_id", "memo",
                "actor_label", "created_at", "hash", "key_id", "binding")


@dataclass
class WalletCheck:
    wallet_id: int
    sub_account_id: str
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_entries(check: WalletCheck, rows: Iterable[tuple],
                   checkpoints: list[LedgerCheckpoint]) -> tuple[Decimal, int, str]:
    problems = check.problems
    seal = next((c for c in checkpoints if c.legacy_digest), None)
    sealed_seq = seal.seq if seal else 0
    pinned: dict[int, list[LedgerCheckpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        pinned[checkpoint.seq].append(checkpoint)
    total, seq, prev_hash = Decimal(0), 0, GENESIS_HASH
    legacy_digest, newest_rank = LEGACY_DIGEST_START, None
    for (wallet_id, e_seq, kind, amount, currency, balance_after, key, ref_type, ref_id,
         corrects_id, memo, actor_label, created_at, digest, key_id, binding) in rows:
        check.entries += 1
        if e_seq != seq + 1:
            problems.append(f"entry seq {e_seq} follows seq {seq}: an entry is missing")
        total += amount
        if balance_after != total:
            problems.append(
                f"entry seq {e_seq}: balance_after {balance_after} but entries sum to {total}")
        content = {"wallet_id": wallet_id, "seq": e_seq, "kind": kind, "amount": amount,
                   "currency": currency, "balance_after": balance_after,
                   "idempotency_key": key, "reference_type": ref_type,
                   "reference_id": ref_id, "corrects_id": corrects_id}
        if not key_id:
            if e_seq > sealed_seq:
                problems.append(f"entry seq {e_seq} is not signed with a ledger key")
            else:
                if legacy_entry_hash(prev_hash=prev_hash, created_at=created_at,
                                     **content) != digest:
                    problems.append(f"entry seq {e_seq}: hash does not match its content")
                legacy_digest = legacy_digest_next(legacy_digest, entry_material(
                    prev_hash=legacy_digest, memo=memo, actor_label=actor_label,
                    created_at=created_at, binding=binding, key_id="", **content), digest)
        else:
            signer = key_of(key_id)
            if signer is None:
                problems.append(f"entry seq {e_seq} is signed with key {key_id!r}, which is "
                                "not one of LEDGER_HMAC_KEYS")
            elif e_seq <= sealed_seq:
                problems.append(f"entry seq {e_seq} is signed but lies under the wallet's seal "
                                "(the entries before the keyed chain were replaced)")
            else:
                if entry_hash(signer, prev_hash=prev_hash, memo=memo,
                              actor_label=actor_label, created_at=created_at,
                              binding=binding, **content) != digest:
                    problems.append(f"entry seq {e_seq}: hash does not match its content "
                                    "under its key")
                if newest_rank is not None and signer.rank > newest_rank:
                    problems.append(f"entry seq {e_seq} is signed with an older key than the "
                                    "entry before it")
                newest_rank = signer.rank if newest_rank is None else min(newest_rank,
                                                                          signer.rank)
        if e_seq == sealed_seq and (seal.hash, seal.legacy_digest) != (digest, legacy_digest):
            problems.append(f"the entries up to seq {e_seq} are not the ones the wallet's seal "
                            "describes")
        for checkpoint in pinned.get(e_seq, ()):
            if (checkpoint.hash, checkpoint.balance) != (digest, balance_after):
                problems.append(
                    f"entry seq {e_seq} is not the one checkpointed on "
                    f"{checkpoint.created_at:%Y-%m-%d} (the chain was rewritten below it)")
        seq, prev_hash = e_seq, digest
    for checkpoint in checkpoints:
        if not checkpoint_valid(checkpoint):
            problems.append(f"checkpoint {checkpoint.pk} (seq {checkpoint.seq}) is not signed "
                            "by a ledger key")
        if checkpoint.seq > seq:
            problems.append(
                f"checkpointed on {checkpoint.created_at:%Y-%m-%d} at seq {checkpoint.seq} but "
                f"the chain ends at seq {seq} (entries removed)")
    return total, seq, prev_hash


def _entries_by_wallet(wallet_ids: list[int] | None) -> Iterator[tuple[int, Iterator[tuple]]]:
    """Every entry, all wallets in one query, as (wallet id, its rows in seq order)."""
    entries = Entry.objects.order_by("wallet_id", "seq")
    if wallet_ids is not None:
        entries = entries.filter(wallet_id__in=wallet_ids)
    rows = entries.values_list(*ENTRY_FIELDS).iterator(chunk_size=5000)
    return groupby(rows, key=lambda row: row[0])


def ledger_verify(
    *, wallet_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[WalletCheck]:
    """Check the given wallets (all when None); `progress(done, total)` after each wallet."""
    wallet_ids = None if wallet_ids is None else list(wallet_ids)
    wallets = Wallet.objects.order_by("pk")
    checkpoints = LedgerCheckpoint.objects.order_by("seq", "pk")
    if wallet_ids is not None:
        wallets = wallets.filter(pk__in=wallet_ids)
        checkpoints = checkpoints.filter(wallet_id__in=wallet_ids)
    heads = list(wallets.values_list("pk", "sub_account_id", "balance", "last_seq", "last_hash"))
    by_wallet: dict[int, list[LedgerCheckpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        by_wallet[checkpoint.wallet_id].append(checkpoint)
    groups = _entries_by_wallet(wallet_ids)
    group = next(groups, None)
    checks = []
    for done, (wallet_id, sub_account_id, balance, last_seq, last_hash) in enumerate(heads, 1):
        check = WalletCheck(wallet_id=wallet_id, sub_account_id=str(sub_account_id))
        rows: Iterable[tuple] = ()
        if group is not None and group[0] == wallet_id:
            rows, group = group[1], None
        total, seq, head_hash = _check_entries(check, rows, by_wallet.get(wallet_id, []))
        if group is None:
            group = next(groups, None)
        if balance != total:
            check.problems.append(f"cached balance {balance} but entries sum to {total}")
        if (last_seq, last_hash) != (seq, head_hash):
            check.problems.append(
                f"wallet head is seq {last_seq} but the last entry is seq {seq} "
                "(entries removed or the head was edited)")
        checks.append(check)
        if progress:
            progress(done, len(heads))
    return checks
