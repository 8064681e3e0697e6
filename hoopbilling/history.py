"""The database history: every write to the price and settings tables, recorded by PostgreSQL.

The audit log (`hoopbilling.audit`) is the business record: the services write one row per
change a person makes, with the reason. It cannot see a write that skips the services (a
shell, a data fix in SQL, a forgotten `audit_record`). The database history can: each tracked
table has django-pghistory triggers (installed by the apps' migrations, through
django-pgtrigger) that copy the row into its event table on every INSERT, UPDATE and DELETE,
whoever wrote it. Event tables are append-only (a trigger refuses UPDATE and DELETE).

- `tracked`: the model decorator (a snapshot per insert, update and delete).
- `HistoryMiddleware`: attaches the signed-in person and the URL to the writes of a page or
  admin request; a write outside one (API, shell, SQL, worker) is recorded with no context.
- `history_baseline`: a migration step giving the rows that exist before tracking starts a
  first snapshot, so that their first later change shows what it changed from.

SQLite has no triggers from pgtrigger: there the history stays empty and only the audit log
records changes.
"""

import json
import uuid

import pghistory
import pghistory.config
import pghistory.middleware
from django.db import DatabaseError, connection, migrations

from hoopbilling.errors import API_PREFIX

# The API (`API_PREFIX`) answers machines (an API key, no person) and carries the usage hot
# path: no context there, so a usage event costs no extra statement. Price and settings writes
# through the API are still recorded, with no context; the audit log names the key.

# Where pghistory's triggers look for the context (`_pgh_attach_context()`, installed by
# pghistory's migrations): the session's `pghistory.context_id` and `pghistory.context_metadata`.
_CONTEXT_SET = ("SELECT set_config('pghistory.context_id', %s, false), "
                "set_config('pghistory.context_metadata', %s, false)")


def tracked(*trackers: pghistory.RowEvent, **options):
    """`pghistory.track` with a snapshot of the row after each insert and update and before
    each delete, in an append-only event model (`<Model>Event` in the model's app, unless
    `model_name` says otherwise). `options` are `pghistory.track`'s (`fields`, `exclude`...);
    `trackers` add labelled events of their own."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), *trackers,
        append_only=True, **options)


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """pghistory's context (`user`: the signed-in person's id, `url`) for the writing requests
    (`PGHISTORY_MIDDLEWARE_METHODS`) of pages and the admin, on PostgreSQL; none for the API
    (`API_PREFIX`).

    pghistory's own middleware puts `SELECT set_config(...)` before every writing statement
    of the request, which a prepared statement cannot carry (the ledger's and usage's, in
    `hoopbilling.db.prepared_cursor`) and SQLite does not know. This one sets the same two
    settings once for the connection's session when the request starts and clears them when
    it ends, so every statement of the request, prepared or not, runs as written."""

    def __call__(self, request):
        if (connection.vendor != "postgresql" or request.path.startswith(API_PREFIX)
                or request.method not in pghistory.config.middleware_methods()):
            return self.get_response(request)
        metadata = json.dumps(self.get_context(request), cls=pghistory.config.json_encoder())
        with connection.cursor() as cursor:
            cursor.execute(_CONTEXT_SET, [str(uuid.uuid4()), metadata])
        try:
            return self.get_response(request)
        finally:
            _context_clear()


def _context_clear():
    """Clear the request's context from the session, so the connection's next request (it is
    kept, CONN_MAX_AGE) starts without it. Inside a transaction still open (a test's), its
    rollback clears it; a connection that cannot run the statement is closed instead."""
    if connection.in_atomic_block or connection.connection is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(_CONTEXT_SET, ["", ""])
    except DatabaseError:
        connection.close()


def history_baseline(app_label: str, *event_model_names: str) -> migrations.RunPython:
    """A migration step (PostgreSQL only) that writes one `baseline` event per existing row of
    each event model's tracked table: a row changed later then shows its old values in the
    history's diff. Backward: nothing (the event tables go with the migration before)."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in event_model_names:
            event_model = apps.get_model(app_label, name)
            tracked_model = event_model._meta.get_field("pgh_obj").related_model
            columns = [f'"{field.column}"' for field in event_model._meta.concrete_fields
                       if not field.name.startswith("pgh_")]
            pk = tracked_model._meta.pk.column
            schema_editor.execute(
                f'INSERT INTO "{event_model._meta.db_table}" '
                f'(pgh_created_at, pgh_label, pgh_obj_id, {", ".join(columns)}) '
                f"SELECT NOW(), 'baseline', \"{pk}\", {', '.join(columns)} "
                f'FROM "{tracked_model._meta.db_table}"', params=None)

    return migrations.RunPython(forward, migrations.RunPython.noop)
