"""The one place that takes wallet row locks: `wallets_lock` for the ledger's front door
(`services.ledger_transaction`), `wallet_lock` for `wallet_settings_set`, which posts nothing
and joins its caller's transaction.

Several wallets are always locked in primary-key order: two transactions that lock the same
wallets in different orders would deadlock each other. The lock is a raw query because it is
on the hot path of every posting (the ORM's query compilation costs more than the lock).
"""

from django.db import connection, transaction

from hoopbilling.db import model_columns, models_from_rows, prepared_cursor, where_in
from wallets.ledger.models import Wallet


def wallets_lock(wallet_ids) -> dict[int, Wallet]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a wallet lock is only held inside a transaction")
    ids = sorted(set(wallet_ids))
    where, params = where_in("id", ids)
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT {model_columns(Wallet)} FROM wallets_wallet WHERE {where} "
                       f"ORDER BY id{for_update}", params)
        wallets = models_from_rows(Wallet, cursor.fetchall())
    locked = {wallet.pk: wallet for wallet in wallets}
    missing = set(ids) - locked.keys()
    if missing:
        raise Wallet.DoesNotExist(f"no wallet {sorted(missing)}")
    return locked


def wallet_lock(wallet_id: int) -> Wallet:
    return wallets_lock([wallet_id])[wallet_id]
