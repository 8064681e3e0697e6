"""Checking the ledger: every wallet's cached balance equals the sum of its entries, and no
entry was changed, removed or inserted behind the application's back (the hash chain)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from wallets.ledger.models import GENESIS_HASH, Entry, Wallet
from wallets.ledger.posting import entry_hash

ENTRY_FIELDS = ("wallet_id", "seq", "kind", "amount", "amount_currency", "balance_after",
                "idempotency_key", "reference_type", "reference_id", "corrects_id",
                "created_at", "hash")


@dataclass
class WalletCheck:
    wallet_id: int
    sub_account_id: str
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_entries(check: WalletCheck, rows: Iterable[tuple]) -> tuple[Decimal, int, str]:
    total, seq, prev_hash = Decimal(0), 0, GENESIS_HASH
    for (wallet_id, e_seq, kind, amount, currency, balance_after, key, ref_type, ref_id,
         corrects_id, created_at, digest) in rows:
        check.entries += 1
        if e_seq != seq + 1:
            check.problems.append(f"entry seq {e_seq} follows seq {seq}: an entry is missing")
        total += amount
        if balance_after != total:
            check.problems.append(
                f"entry seq {e_seq}: balance_after {balance_after} but entries sum to {total}")
        expected = entry_hash(
            prev_hash=prev_hash, wallet_id=wallet_id, seq=e_seq, kind=kind, amount=amount,
            currency=currency, balance_after=balance_after, idempotency_key=key,
            reference_type=ref_type, reference_id=ref_id, corrects_id=corrects_id,
            created_at=created_at,
        )
        if expected != digest:
            check.problems.append(f"entry seq {e_seq}: hash does not match its content")
        seq, prev_hash = e_seq, digest
    return total, seq, prev_hash


def ledger_verify(
    *, wallet_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[WalletCheck]:
    """Check the given wallets (all when None); `progress(done, total)` after each wallet."""
    wallets = Wallet.objects.order_by("pk")
    if wallet_ids is not None:
        wallets = wallets.filter(pk__in=list(wallet_ids))
    heads = list(wallets.values_list("pk", "sub_account_id", "balance", "last_seq", "last_hash"))
    checks = []
    for done, (wallet_id, sub_account_id, balance, last_seq, last_hash) in enumerate(heads, 1):
        check = WalletCheck(wallet_id=wallet_id, sub_account_id=str(sub_account_id))
        rows = (Entry.objects.filter(wallet_id=wallet_id).order_by("seq")
                .values_list(*ENTRY_FIELDS).iterator(chunk_size=5000))
        total, seq, head_hash = _check_entries(check, rows)
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
