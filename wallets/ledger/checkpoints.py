"""Signed checkpoints of every wallet's head, outside the entries and the wallet rows.

Each day `ledger_checkpoints_due` (one of `wallets.billing.jobs.BILLING_JOBS`, so beat runs it
and `run_billing_jobs` too) writes, for each wallet whose head moved since its last
checkpoint, a `LedgerCheckpoint`: seq, hash and balance of the head, signed with the newest
ledger key (`hoopbilling.signing`). `verify_ledger` then requires every checkpoint's signature
to hold and the wallet's chain to still have that entry with that hash and balance: a chain
cut back (entries deleted and the head moved down) or rewritten below a checkpoint fails,
even when it was rewritten consistently with a key that verifies entries (an old key that
leaked, say).

A seal (`legacy_digest` set) is the first checkpoint of a wallet whose entries predate the
keyed chain: written once by migration 0014 after it checked their plain SHA-256 chain, it
covers every field of those entries (`legacy_digest_next`), memo and actor label included.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from hoopbilling.money import quantize_amount
from hoopbilling.signing import signature_valid, signing_key
from wallets.ledger.models import GENESIS_HASH, LedgerCheckpoint, Wallet


def checkpoint_material(*, wallet_id: int, seq: int, hash: str, balance: Decimal,
                        currency: str, legacy_digest: str, created_at: datetime,
                        key_id: str) -> bytes:
    return json.dumps(["checkpoint", wallet_id, seq, hash, f"{quantize_amount(balance):f}",
                       currency, legacy_digest, created_at.astimezone(UTC).isoformat(), key_id],
                      separators=(",", ":")).encode()


def checkpoint_signed(*, wallet_id: int, seq: int, hash: str, balance: Decimal, currency: str,
                      created_at: datetime, legacy_digest: str = "") -> LedgerCheckpoint:
    """A checkpoint (unsaved) signed with the newest key."""
    key = signing_key()
    fields = {"wallet_id": wallet_id, "seq": seq, "hash": hash, "balance": balance,
              "currency": currency, "legacy_digest": legacy_digest, "created_at": created_at}
    return LedgerCheckpoint(**fields, key_id=key.key_id, signature=key.sign(
        checkpoint_material(**fields, key_id=key.key_id)))


def checkpoint_valid(checkpoint: LedgerCheckpoint) -> bool:
    """Its signature holds under one of the configured keys."""
    return signature_valid(checkpoint.key_id, checkpoint_material(
        wallet_id=checkpoint.wallet_id, seq=checkpoint.seq, hash=checkpoint.hash,
        balance=checkpoint.balance, currency=checkpoint.currency,
        legacy_digest=checkpoint.legacy_digest, created_at=checkpoint.created_at,
        key_id=checkpoint.key_id), checkpoint.signature)


LEGACY_DIGEST_START = GENESIS_HASH


def legacy_digest_next(digest: str, material: bytes, entry_hash: str) -> str:
    """The seal's running digest after one more legacy entry: its every field
    (`posting.entry_material`) and its stored hash."""
    return hashlib.sha256(b"|".join([digest.encode(), material, entry_hash.encode()]))\
        .hexdigest()


def ledger_checkpoints_write(*, now: datetime) -> int:
    """A checkpoint of each wallet whose head moved since its last one; how many.

    The heads are read as committed (a posting in flight is in the next day's checkpoint)."""
    last_seq = (LedgerCheckpoint.objects.filter(wallet=OuterRef("pk")).order_by("-seq")
                .values("seq")[:1])
    heads = (Wallet.objects.annotate(checkpointed=Coalesce(Subquery(last_seq), Value(0)))
             .filter(last_seq__gt=0).order_by("pk")
             .values_list("pk", "last_seq", "last_hash", "balance", "balance_currency",
                          "checkpointed"))
    checkpoints = [checkpoint_signed(wallet_id=pk, seq=seq, hash=digest, balance=balance,
                                     currency=currency, created_at=now)
                   for pk, seq, digest, balance, currency, checkpointed in heads
                   if seq > checkpointed]
    with transaction.atomic():
        LedgerCheckpoint.objects.bulk_create(checkpoints, batch_size=1000)
    return len(checkpoints)


def ledger_checkpoints_due(now: datetime) -> dict:
    """The day's checkpoints, once per UTC day: nothing when one was written since the day
    began (the run writes all of them in one transaction)."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if LedgerCheckpoint.objects.filter(created_at__gte=day_start).exists():
        return {}
    return {"ledger_checkpoints": ledger_checkpoints_write(now=now)}
