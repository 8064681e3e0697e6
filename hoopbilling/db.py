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

from django.db import connection
from psycopg import Cursor


class _PreparingCursor(Cursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor():
    """A Django cursor (use it in a `with`) whose statements are prepared on PostgreSQL; on
    other databases an ordinary cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # What BaseDatabaseWrapper._cursor does, with our cursor class instead of the
        # connection's client-binding one.
        return connection._prepare_cursor(_PreparingCursor(connection.connection))


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


def _array_type(field) -> str:
    return field.db_type(connection).split("(")[0] + "[]"


def insert_rows(model, rows: list[dict]) -> None:
    """Insert `rows` ({attname: value} with every concrete field, values as the model holds
    them) in one statement, without model instances or per-field preparation.

    On PostgreSQL the statement is an INSERT … SELECT FROM UNNEST of one array per column
    (what bulk_create does), prepared: the same text for 1 row or 500. Elsewhere each value is
    prepared by its field. Defaults and auto fields are not filled in: the caller gives all.
    """
    fields = model._meta.concrete_fields
    columns = ", ".join(field.column for field in fields)
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"(%s)::{_array_type(field)}" for field in fields)
        params = []
        for field in fields:
            column = [row[field.attname] for row in rows]
            if field.get_internal_type() == "JSONField":
                column = [None if value is None else json.dumps(value) for value in column]
            params.append(column)
        with prepared_cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays})",
                           params)
        return
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [field.get_db_prep_save(row[field.attname], connection)
              for row in rows for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES "
                       f"{', '.join([placeholders] * len(rows))}", params)


def where_in(column: str, values: list) -> tuple[str, list]:
    """`column IN values` as SQL and its parameters: on PostgreSQL `= ANY` of one array, so
    the statement's text does not change with the number of values (it is prepared once)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
