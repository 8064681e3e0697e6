"""The one place that takes wallet row locks.

Several wallets are always locked in primary-key order: two transactions that lock the same
wallets in different orders would deadlock each other.
"""

from django.db import transaction

from .models import Wallet


def wallets_lock(wallet_ids) -> dict[int, Wallet]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a wallet lock is only held inside a transaction")
    ids = sorted(set(wallet_ids))
    wallets = Wallet.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    locked = {wallet.pk: wallet for wallet in wallets}
    missing = set(ids) - locked.keys()
    if missing:
        raise Wallet.DoesNotExist(f"no wallet {sorted(missing)}")
    return locked


def wallet_lock(wallet_id: int) -> Wallet:
    return wallets_lock([wallet_id])[wallet_id]
