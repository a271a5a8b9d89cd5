"""``instance.save()`` of a new row in one precompiled statement, for hot write paths.

The ORM compiles an INSERT afresh on every ``save()``; for a single row that compiling costs
several times more than running the statement (measured with bench/bench_oidc.py on the
token endpoint: its token rows and its audit event). Django has no public "insert this
instance with a cached statement" API, hence these few lines. The values are prepared by the
model's own fields exactly as ``save()`` prepares them (``pre_save`` for ``auto_now``
timestamps, then ``get_db_prep_save``: JSON, UUIDs, IP addresses), so the row is the one
``save()`` would write (for the commonest columns, plain text and integer foreign keys, that
preparation is known to return the value unchanged and is skipped).

Callers decide whether skipping ``save()`` is right for their model: no ``pre_save`` or
``post_save`` signal is sent and ``Model.save`` overrides are not run.
"""

from __future__ import annotations

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections, models

# Fields whose ``get_db_prep_save(pre_save(...))`` returns a value of this exact type unchanged
# (or None): text columns take a ``str`` as it is, a key to an integer primary key an ``int``.
# Exact classes only: a subclass (an encrypted text field, DOT's checksum field) may prepare
# its value, and so may any other type of value (a lazy string, an enum member).
_TEXT_FIELDS = (models.CharField, models.TextField)
_RELATIONS = (models.ForeignKey, models.OneToOneField)
_INTEGER_KEYS = (models.AutoField, models.BigAutoField)


def _unchanged_type(field) -> type | None:
    if type(field) in _TEXT_FIELDS:
        return str
    if type(field) in _RELATIONS and type(field.target_field) in _INTEGER_KEYS:
        return int
    return None


@cache
def _insert_plan(model, vendor: str) -> tuple[str, tuple]:
    """The INSERT of every concrete column but the auto primary key, returning the key, and
    per column ``(attname, unchanged type or None, field)``. Cached per model and database
    vendor (quoting differs)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}"  # noqa: S608 - names from _meta
    return sql, tuple((f.attname, _unchanged_type(f), f) for f in fields)


def _values(instance, plan, conn) -> list:
    values = []
    for attname, unchanged, field in plan:
        if unchanged is not None:
            value = getattr(instance, attname)
            if value is None or type(value) is unchanged:
                values.append(value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(instance, True), conn))
    return values


def insert(instance) -> None:
    """Insert ``instance`` (a new row of a model with an auto primary key) and set its pk."""
    conn = connections[DEFAULT_DB_ALIAS]  # one lookup: the ``connection`` proxy costs one per attribute
    sql, plan = _insert_plan(type(instance), conn.vendor)
    with conn.cursor() as cursor:
        cursor.execute(sql, _values(instance, plan, conn))
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
