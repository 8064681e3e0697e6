"""SQL for the usage hot path, where the ORM's per-query work costs more than the queries.

- `prepared_cursor`: on PostgreSQL it binds parameters on the server and prepares each
  statement, so a statement run again skips its parse and plan (a single usage event's
  statements cost PostgreSQL about 40 % less CPU). Django's own cursors bind on the client and
  prepare nothing: preparing is not safe for every query the ORM writes (a parameter inside
  GROUP BY, say), hence the opt-in. Prepared statements live in the connection (psycopg keeps
  the last 100), so a pooler in front of PostgreSQL must keep sessions; the SQL handed to this
  cursor should have the same text for the same kind of statement (`where_in`, `rows_source`)
  so it is prepared once. Queries are still logged and wrapped by Django.
- `models_from_rows` (with `model_columns`): rows of a raw SELECT as model instances.
- `insert_rows` and `rows_source`: many rows in one statement, or by COPY, from plain values.
"""

import json

from django.db import DEFAULT_DB_ALIAS, connection, connections
from psycopg import Cursor


class _PreparingCursor(Cursor):
    """Prepares every statement. One per connection, kept open for all of the connection's
    hot-path statements: Django's `with cursor` closes the cursor it wraps, which here does
    nothing (a new cursor and its wrapper for each statement cost as much CPU as the
    statement's own round trip)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)

    def close(self):
        pass

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # psycopg keeps the statement it sent (`_query`, which Django's query log reads) only
        # for statements it does not prepare: without this the log shows None.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


def prepared_cursor():
    """A Django cursor (use it in a `with`) whose statements are prepared on PostgreSQL; on
    other databases an ordinary cursor."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # `connection` is a proxy: each attribute costs
    if wrapper.vendor != "postgresql":
        return wrapper.cursor()
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    raw = wrapper.connection
    kept = getattr(wrapper, "_prepared_cursor", None)
    if kept is None or kept[0] is not raw:
        kept = wrapper._prepared_cursor = (raw, _PreparingCursor(raw))
    with wrapper.wrap_database_errors:
        # What BaseDatabaseWrapper._cursor does, with the connection's preparing cursor
        # instead of a new client-binding one.
        return wrapper._prepare_cursor(kept[1])


def _fields(model, names):
    if names is None:
        return model._meta.concrete_fields
    return [field for field in model._meta.concrete_fields if field.attname in names]


def model_columns(model, table: str = "", fields=None) -> str:
    """The model's columns (or those of the attnames `fields`), in the order
    `models_from_rows` reads them: the model's field order."""
    prefix = f"{table}." if table else ""
    return ", ".join(f"{prefix}{field.column}" for field in _fields(model, fields))


_converters: dict[tuple, list] = {}


def models_from_rows(model, rows, fields=None) -> list:
    """Instances of `model` from rows of `SELECT {model_columns(model, …, fields)} …` (the
    other fields deferred), values converted as the ORM converts them (JSON, and on SQLite
    ids, decimals and times)."""
    key = (model, connection.vendor, fields and tuple(fields))
    if key not in _converters:
        table = model._meta.db_table
        _converters[key] = [
            (index, field.get_col(table), converters)
            for index, field in enumerate(_fields(model, fields))
            if (converters := connection.ops.get_db_converters(field.get_col(table))
                + field.get_db_converters(connection))]
    converters = _converters[key]
    names = None if fields is None else [field.attname for field in _fields(model, fields)]
    instances = []
    for row in rows:
        if converters:
            row = list(row)
            for index, expression, functions in converters:
                for function in functions:
                    row[index] = function(row[index], expression, connection)
        instances.append(model.from_db(connection.alias, names, row))
    return instances


# From this many rows an INSERT binds one array per column (the same statement text for any
# number of rows) and `insert_rows` sends COPY (about 4 times less CPU a row than arrays).
# Below it, plain VALUES: binding scalars costs less than arrays for a few rows, and a
# statement text for each count up to here is few enough to keep them all prepared.
BULK_FROM = 20


def _values(fields, rows, wrapper) -> tuple[str, list]:
    """VALUES for `rows` (tuples in the order of `fields`) and their parameters: as they are
    on PostgreSQL, which types them by the target columns; elsewhere prepared by each field
    (SQLite stores ids as hex, say)."""
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    if wrapper.vendor == "postgresql":
        params = [value for row in rows for value in row]
    else:
        params = [field.get_db_prep_save(value, wrapper)
                  for row in rows for field, value in zip(fields, row, strict=True)]
    return f"VALUES {', '.join([placeholders] * len(rows))}", params


def _unnest(fields, rows, wrapper) -> tuple[str, list]:
    arrays = ", ".join(f"(%s)::{field.db_type(wrapper).split('(')[0]}[]" for field in fields)
    return (f"SELECT * FROM UNNEST({arrays})",
            [list(column) for column in zip(*rows, strict=True)])


def rows_source(model, names: list[str], rows: list[tuple]) -> tuple[str, list]:
    """The rows to insert into `model`'s columns `names` (attnames, one value each, in that
    order) as an INSERT's source and its parameters: VALUES, or from `BULK_FROM` rows on
    PostgreSQL a SELECT FROM UNNEST of one array per column (for an `INSERT … ON CONFLICT`,
    say, which COPY cannot do)."""
    fields = [model._meta.get_field(name) for name in names]
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor == "postgresql" and len(rows) >= BULK_FROM:
        return _unnest(fields, rows, wrapper)
    return _values(fields, rows, wrapper)


def insert_rows(model, rows: list[dict]) -> None:
    """Insert `rows` ({attname: value} with every concrete field, values as the model holds
    them) without model instances or per-field preparation: one INSERT … VALUES, or from
    `BULK_FROM` rows on PostgreSQL a COPY. Defaults and auto fields are not filled in: the
    caller gives them all."""
    fields = model._meta.concrete_fields
    table, columns = model._meta.db_table, ", ".join(field.column for field in fields)
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql" or len(rows) < BULK_FROM:
        values = [tuple(row[field.attname] for field in fields) for row in rows]
        if wrapper.vendor == "postgresql":  # JSON goes as its text; SQLite's fields dump it
            values = _json_dumped(fields, values)
        source, params = _values(fields, values, wrapper)
        with prepared_cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {source}", params)
        return
    values = _json_dumped(fields, [[row[field.attname] for field in fields] for row in rows])
    with prepared_cursor() as cursor, wrapper.wrap_database_errors, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _json_dumped(fields, rows) -> list[list]:
    json_columns = [index for index, field in enumerate(fields)
                    if field.get_internal_type() == "JSONField"]
    rows = [list(row) for row in rows]
    for row in rows:
        for index in json_columns:
            if row[index] is not None:
                row[index] = json.dumps(row[index])
    return rows


def where_in(column: str, values: list) -> tuple[str, list]:
    """`column IN values` as SQL and its parameters: on PostgreSQL `= ANY` of one array, so
    the statement's text does not change with the number of values (it is prepared once)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
