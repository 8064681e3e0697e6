"""A database cursor for the raw SQL of the usage hot path: on PostgreSQL it binds
parameters on the server and prepares each statement, so a statement run again skips its
parse and plan (a single usage event's statements cost PostgreSQL about 40 % less CPU).

Django's own cursors bind on the client and prepare nothing: preparing is not safe for every
query the ORM writes (a parameter inside GROUP BY, say), hence the opt-in per statement.
Prepared statements live in the connection (psycopg keeps the last 100); the SQL handed to this
cursor should be the same text for the same kind of statement (arrays, not lists of
placeholders) so it is prepared once. Queries are still logged and wrapped by Django.
"""

import json
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from psycopg import Cursor


class _PreparingCursor(Cursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor():
    """A Django cursor (use it in a `with`) whose statements are prepared on PostgreSQL; on
    other databases an ordinary cursor."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # `connection` is a proxy: each attribute costs
    if wrapper.vendor != "postgresql":
        return wrapper.cursor()
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    with wrapper.wrap_database_errors:
        # What BaseDatabaseWrapper._cursor does, with our cursor class instead of the
        # connection's client-binding one.
        return wrapper._prepare_cursor(_PreparingCursor(wrapper.connection))


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


# From this many rows `insert_rows` sends COPY (about 4 times less CPU a row than binding
# arrays) rather than one INSERT, whose single round trip wins for a few rows.
COPY_FROM = 20


@cache
def _insert_plan(model, vendor: str) -> tuple[str, str, list[tuple[str, bool]]]:
    """The INSERT and the COPY of `insert_rows` for `model`, and each field's (attname,
    is JSON)."""
    fields = model._meta.concrete_fields
    table, columns = model._meta.db_table, ", ".join(field.column for field in fields)
    if vendor == "postgresql":
        arrays = ", ".join(f"(%s)::{field.db_type(connection).split('(')[0]}[]"
                           for field in fields)
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays})"
    else:
        sql = f"INSERT INTO {table} ({columns}) VALUES "
    return (sql, f"COPY {table} ({columns}) FROM STDIN",
            [(field.attname, field.get_internal_type() == "JSONField") for field in fields])


def insert_rows(model, rows: list[dict]) -> None:
    """Insert `rows` ({attname: value} with every concrete field, values as the model holds
    them) without model instances or per-field preparation.

    On PostgreSQL: COPY for `COPY_FROM` rows or more, otherwise an INSERT … SELECT FROM
    UNNEST of one array per column (what bulk_create does), prepared: the same text for any
    number of rows. Elsewhere one INSERT, each value prepared by its field. Defaults and auto
    fields are not filled in: the caller gives them all.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    sql, copy_sql, fields = _insert_plan(model, wrapper.vendor)
    if wrapper.vendor == "postgresql":
        json_columns = [index for index, (_, is_json) in enumerate(fields) if is_json]
        values = [[row[name] for name, _ in fields] for row in rows]
        for row in values:
            for index in json_columns:
                if row[index] is not None:
                    row[index] = json.dumps(row[index])
        with prepared_cursor() as cursor:
            if len(rows) < COPY_FROM:
                cursor.execute(sql, [list(column) for column in zip(*values, strict=True)])
                return
            with wrapper.wrap_database_errors, cursor.copy(copy_sql) as copy:
                for row in values:
                    copy.write_row(row)
        return
    model_fields = model._meta.concrete_fields
    placeholders = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
    params = [field.get_db_prep_save(row[field.attname], wrapper)
              for row in rows for field in model_fields]
    with wrapper.cursor() as cursor:
        cursor.execute(sql + ", ".join([placeholders] * len(rows)), params)


def where_in(column: str, values: list) -> tuple[str, list]:
    """`column IN values` as SQL and its parameters: on PostgreSQL `= ANY` of one array, so
    the statement's text does not change with the number of values (it is prepared once)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def rows_source(model, names: list[str], rows: list[tuple]) -> tuple[str, list]:
    """The rows to insert into `model`'s columns `names` (attnames, one value each, in that
    order) as an INSERT's source and its parameters. On PostgreSQL a SELECT FROM UNNEST of
    one array per column, whose text is the same for any number of rows (prepared once, for
    an `INSERT … ON CONFLICT` say); elsewhere VALUES, each value prepared by its field."""
    fields = [model._meta.get_field(name) for name in names]
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor == "postgresql":
        arrays = ", ".join(f"(%s)::{field.db_type(wrapper).split('(')[0]}[]"
                           for field in fields)
        return (f"SELECT * FROM UNNEST({arrays})",
                [list(column) for column in zip(*rows, strict=True)])
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (f"VALUES {', '.join([placeholders] * len(rows))}",
            [field.get_db_prep_save(value, wrapper)
             for row in rows for field, value in zip(fields, row, strict=True)])
