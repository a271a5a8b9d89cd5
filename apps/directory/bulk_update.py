"""``UPDATE ... FROM (VALUES ...)``: many rows, each with its own values, in one statement.

Django's ``bulk_update`` writes ``SET col = CASE WHEN id = 1 THEN ... WHEN id = 2 ...`` for
every column: compiling it costs about half a millisecond per row, and the database compares
each row with every WHEN (quadratic in the batch). A 100k-row CSV import spent over a minute
there. Joining a VALUES list is linear on both sides.

Portable to PostgreSQL and SQLite (3.33+): VALUES columns are referred to by their default
names, ``column1``, ``column2``, ... (both databases use them). Values are prepared by the
model fields (``get_db_prep_save``), as the ORM does, and cast to the column type on
PostgreSQL, where untyped parameters in VALUES would otherwise be text.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

_MAX_ROWS_PER_STATEMENT = 1000


def update_rows(model: type[Model], objects: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of every object (by primary key); returns the number of rows updated.
    Sends no signals and applies no ``auto_now``: the caller sets and signals what it needs."""
    if not objects or not fields:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    postgres = connection.vendor == "postgresql"

    def value(position: int, field) -> str:
        ref = f"v.column{position}"
        return f"CAST({ref} AS {field.db_type(connection)})" if postgres else ref

    assignments = ", ".join(f"{quote(f.column)} = {value(i, f)}" for i, f in enumerate(columns, start=2))
    key = f"CAST(v.column1 AS {meta.pk.db_type(connection)})" if postgres else "v.column1"
    row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    per_statement = _MAX_ROWS_PER_STATEMENT
    if connection.features.max_query_params:  # SQLite: at most 999 parameters per statement
        per_statement = max(1, min(per_statement, connection.features.max_query_params // (len(columns) + 1)))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            batch = objects[start : start + per_statement]
            params = []
            for obj in batch:
                params.append(obj.pk)
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns)
            values = ", ".join([row_sql] * len(batch))
            # Identifiers come from the model's metadata, values are parameters.
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v WHERE {table}.{pk} = {key}",  # noqa: S608
                params,
            )
            updated += cursor.rowcount
    return updated
