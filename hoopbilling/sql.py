"""Installing database triggers from migrations, per database vendor.

PostgreSQL gets the full guards (PL/pgSQL); SQLite, the zero-setup default, gets the
append-only refusals so local runs behave the same way where it matters most.
"""

from django.db import migrations


def _pg_row_trigger(table: str, name: str, events: str, body: str) -> tuple[str, str]:
    """(create, drop) of the PostgreSQL function `{table}_{name}` with `body` and its row
    trigger on `table` for `events` (e.g. "BEFORE UPDATE OR DELETE")."""
    create = f"""
        CREATE OR REPLACE FUNCTION {table}_{name}() RETURNS trigger AS $$
        BEGIN
            {body}
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER {table}_{name} {events} ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_{name}();
    """
    drop = f"""
        DROP TRIGGER IF EXISTS {table}_{name} ON {table};
        DROP FUNCTION IF EXISTS {table}_{name}();
    """
    return create, drop


def append_only(table: str) -> migrations.RunPython:
    """Refuse UPDATE and DELETE on `table`: rows are corrected by new rows, never edited."""
    pg_forward, pg_backward = _pg_row_trigger(
        table, "append_only", "BEFORE UPDATE OR DELETE",
        f"RAISE EXCEPTION '{table} is append-only: % refused', TG_OP "
        "USING ERRCODE = 'insufficient_privilege';")
    return vendor_sql(postgresql=([pg_forward], [pg_backward]),
                      sqlite=_sqlite_append_only(table))


def truncate_refused(table: str) -> migrations.RunPython:
    """Refuse TRUNCATE on `table` (PostgreSQL: a statement-level trigger; a row trigger never
    sees a TRUNCATE). With `append_only`, the table's rows can then only be added to: only
    someone who may disable its triggers (its owner) can empty it. SQLite has no TRUNCATE."""
    name = f"{table}_no_truncate"
    forward = f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: TRUNCATE refused'
                USING ERRCODE = 'insufficient_privilege';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER {name} BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {name}();
    """
    backward = f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();"
    return vendor_sql(postgresql=([forward], [backward]))


def _sqlite_append_only(table: str) -> tuple[list[str], list[str]]:
    forward = [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;"
        for op in ("UPDATE", "DELETE")
    ]
    backward = [f"DROP TRIGGER IF EXISTS {table}_no_{op};" for op in ("update", "delete")]
    return forward, backward


def sqlite_append_only_again(table: str) -> migrations.RunPython:
    """SQLite alters a table by building a new one and copying the rows over, and the
    triggers of the old table go with it: after such a migration, `table`'s append-only
    triggers are put back (PostgreSQL alters in place and keeps them). Backward: nothing,
    the migration before had them too."""
    return vendor_sql(sqlite=(_sqlite_append_only(table)[0], []))


def vendor_sql(**by_vendor: tuple[list[str], list[str]]) -> migrations.RunPython:
    """A migration step running (forward, backward) statements for the current vendor."""

    def run(direction: int):
        def apply(apps, schema_editor):
            statements = by_vendor.get(schema_editor.connection.vendor, ([], []))[direction]
            for statement in statements:
                schema_editor.execute(statement, params=None)
        return apply

    return migrations.RunPython(run(0), run(1))


# The tables whose every write raises an agency's `prices_version`, with the agencies each row
# picks (SQL with `{row}` for the row): agencies 0005 and subaccounts 0003.
PRICE_TABLES = (
    ("agencies_agencyprice", "id = {row}.agency_id"),
    ("agencies_basecost", "currency = {row}.cost_currency"),
    ("subaccounts_priceoverride",
     "id = (SELECT agency_id FROM subaccounts_subaccount WHERE id = {row}.sub_account_id)"),
)


def _prices_version_bumps(agencies_where: str) -> tuple[str, str]:
    bump = "UPDATE agencies_agency SET prices_version = prices_version + 1 WHERE "
    return bump + agencies_where.format(row="NEW"), bump + agencies_where.format(row="OLD")


def _sqlite_prices_version(table: str, agencies_where: str) -> tuple[list[str], list[str]]:
    new, old = _prices_version_bumps(agencies_where)
    create = [
        f"CREATE TRIGGER {table}_prices_version_{op.lower()} AFTER {op} ON {table} "
        f"BEGIN {'; '.join(statements)}; END;"
        for op, statements in [("INSERT", [new]), ("UPDATE", [new, old]), ("DELETE", [old])]
    ]
    drop = [f"DROP TRIGGER IF EXISTS {table}_prices_version_{op};"
            for op in ("insert", "update", "delete")]
    return create, drop


def prices_version_trigger(table: str, agencies_where: str) -> migrations.RunPython:
    """After every INSERT, UPDATE or DELETE of a row of `table`, raise `prices_version` of the
    agencies that `agencies_where` picks for it (SQL with `{row}` for the row, e.g.
    `id = {row}.agency_id`): a price book cached for an agency is dropped whatever writes a
    price (`subaccounts.pricing.book.price_book_cached`)."""
    new, old = _prices_version_bumps(agencies_where)
    pg_forward, pg_backward = _pg_row_trigger(
        table, "prices_version", "AFTER INSERT OR UPDATE OR DELETE",
        f"IF TG_OP <> 'DELETE' THEN {new}; END IF; "
        f"IF TG_OP <> 'INSERT' THEN {old}; END IF; RETURN NULL;")
    return vendor_sql(postgresql=([pg_forward], [pg_backward]),
                      sqlite=_sqlite_prices_version(table, agencies_where))


def sqlite_prices_version_paused() -> tuple[migrations.RunPython, migrations.RunPython]:
    """SQLite alters a table by building a new one and renaming it, which it refuses while a
    trigger names the table: a migration that alters `agencies_agency` or
    `subaccounts_subaccount` drops the prices_version triggers first (the first step returned)
    and puts them back last (the second). PostgreSQL alters in place: both do nothing there."""
    create = [sql for table in PRICE_TABLES for sql in _sqlite_prices_version(*table)[0]]
    drop = [sql for table in PRICE_TABLES for sql in _sqlite_prices_version(*table)[1]]
    return vendor_sql(sqlite=(drop, create)), vendor_sql(sqlite=(create, drop))
