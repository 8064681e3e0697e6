"""The one place that takes wallet row locks.

Several wallets are always locked in primary-key order: two transactions that lock the same
wallets in different orders would deadlock each other. The lock is a raw query because it is
on the hot path of every posting (the ORM's query compilation costs more than the lock).
"""

from django.db import connection, transaction

from .models import Wallet


def wallets_lock(wallet_ids) -> dict[int, Wallet]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a wallet lock is only held inside a transaction")
    ids = sorted(set(wallet_ids))
    placeholders = ", ".join(["%s"] * len(ids))
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    wallets = Wallet.objects.raw(
        f"SELECT * FROM wallets_wallet WHERE id IN ({placeholders}) ORDER BY id{for_update}",
        ids,
    )
    locked = {wallet.pk: wallet for wallet in wallets}
    missing = set(ids) - locked.keys()
    if missing:
        raise Wallet.DoesNotExist(f"no wallet {sorted(missing)}")
    return locked


def wallet_lock(wallet_id: int) -> Wallet:
    return wallets_lock([wallet_id])[wallet_id]
