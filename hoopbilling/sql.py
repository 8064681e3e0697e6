"""Installing database triggers from migrations, per database vendor.

PostgreSQL gets the full guards (PL/pgSQL); SQLite, the zero-setup default, gets the
append-only refusals so local runs behave the same way where it matters most.
"""

from django.db import migrations


def append_only(table: str) -> migrations.RunPython:
    """Refuse UPDATE and DELETE on `table`: rows are corrected by new rows, never edited."""
    pg_forward = f"""
        CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
    """
    pg_backward = f"""
        DROP TRIGGER IF EXISTS {table}_append_only ON {table};
        DROP FUNCTION IF EXISTS {table}_append_only();
    """
    sqlite_forward = [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;"
        for op in ("UPDATE", "DELETE")
    ]
    sqlite_backward = [f"DROP TRIGGER IF EXISTS {table}_no_{op};" for op in ("update", "delete")]
    return vendor_sql(postgresql=([pg_forward], [pg_backward]),
                      sqlite=(sqlite_forward, sqlite_backward))


def vendor_sql(**by_vendor: tuple[list[str], list[str]]) -> migrations.RunPython:
    """A migration step running (forward, backward) statements for the current vendor."""

    def run(direction: int):
        def apply(apps, schema_editor):
            statements = by_vendor.get(schema_editor.connection.vendor, ([], []))[direction]
            for statement in statements:
                schema_editor.execute(statement, params=None)
        return apply

    return migrations.RunPython(run(0), run(1))
