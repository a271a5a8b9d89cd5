"""``instance.save()`` of a new row in one precompiled statement, for hot write paths.

The ORM compiles an INSERT afresh on every ``save()``; for a single row that compiling costs
several times more than running the statement (measured with bench/bench_oidc.py on the
token endpoint: its token rows and its audit event). Django has no public "insert this
instance with a cached statement" API, hence these few lines. The values are prepared by the
model's own fields exactly as ``save()`` prepares them (``pre_save`` for ``auto_now``
timestamps, then ``get_db_prep_save``: JSON, UUIDs, IP addresses), so the row is the one
``save()`` would write.

Callers decide whether skipping ``save()`` is right for their model: no ``pre_save`` or
``post_save`` signal is sent and ``Model.save`` overrides are not run.
"""

from __future__ import annotations

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections


@cache
def _insert_sql(model, vendor: str) -> tuple[str, tuple]:
    """The INSERT of every concrete column but the auto primary key, returning the key.
    Cached per model and database vendor (quoting differs)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}", fields  # noqa: S608 - names from _meta


def insert(instance) -> None:
    """Insert ``instance`` (a new row of a model with an auto primary key) and set its pk."""
    conn = connections[DEFAULT_DB_ALIAS]  # one lookup: the ``connection`` proxy costs one per attribute
    sql, fields = _insert_sql(type(instance), conn.vendor)
    values = [f.get_db_prep_save(f.pre_save(instance, True), conn) for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
