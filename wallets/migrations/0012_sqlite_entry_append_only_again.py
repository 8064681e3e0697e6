"""On SQLite, 0009's AlterField of `Entry.wallet` rebuilt `wallets_entry` (a new table, the
rows copied, renamed) and the rebuild dropped the append-only triggers 0002 had put on it:
ledger entries could be updated and deleted in `make run`'s database. Put them back."""

from django.db import migrations

from hoopbilling.sql import sqlite_append_only_again


class Migration(migrations.Migration):
    dependencies = [("wallets", "0011_topup_canceled")]

    operations = [sqlite_append_only_again("wallets_entry")]
