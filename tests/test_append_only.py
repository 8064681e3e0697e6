"""The append-only guards hold on whichever database runs the project: PostgreSQL in
production and CI, SQLite for `make run` (where a migration that rebuilds a table drops its
triggers, as 0009 once did to the ledger's)."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

APPEND_ONLY_TABLES = ["wallets_entry", "wallets_invoice", "wallets_invoiceline",
                      "wallets_agencystatement", "wallets_ledgercheckpoint",
                      "hoopbilling_auditlog"]


def triggers_on(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger "
                           "WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        else:
            cursor.execute("SELECT name FROM sqlite_master "
                           "WHERE type = 'trigger' AND tbl_name = %s", [table])
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_every_append_only_table_keeps_its_guard_after_all_migrations(table):
    expected = ({f"{table}_append_only", f"{table}_no_truncate"}
                if connection.vendor == "postgresql"
                else {f"{table}_no_update", f"{table}_no_delete"})
    assert expected <= triggers_on(table)


@pytest.mark.parametrize("sql", ["UPDATE wallets_entry SET memo = 'edited' WHERE id = %s",
                                 "DELETE FROM wallets_entry WHERE id = %s"])
def test_a_ledger_entry_cannot_be_changed_or_deleted(sql):
    entry = EntryFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
