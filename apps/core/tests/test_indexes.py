"""No index on ArkID's own tables is made redundant by another index of the same table.

A plain (non-unique) index whose columns are a leading prefix of, or equal to, those of another
index or of a unique/primary key constraint serves no lookup the other one does not: it only
costs one more write on every INSERT, UPDATE and DELETE. The usual way one comes back is a
ForeignKey's implicit ``db_index`` next to a composite index that starts with the same column;
give such a field ``db_index=False`` and a comment naming the index that covers it.

The schema is read from the test database (built by the migrations) with Django's
introspection, so this runs on SQLite and on PostgreSQL alike. Only ``apps.*`` models are
checked: Django's, django-oauth-toolkit's and auto-created many-to-many tables are not ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest
from django.apps import apps
from django.db import connection, models

# Django's PostgreSQL backend adds a ``<name>_like`` index (varchar_pattern_ops/text_pattern_ops)
# next to each indexed or unique CharField/TextField, for LIKE 'prefix%'. Introspection does not
# report operator classes, so these are told apart by that suffix and only compared with each other.
PATTERN_OPS_SUFFIX = "_like"

# Redundant indexes the scan is told to accept, left out of the comparison: {(table, index): why}.
# None today: directory 0009 dropped the one hand-made duplicate.
KNOWN: dict[tuple[str, str], str] = {}


def own_models() -> list[type[models.Model]]:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("apps.")
        for model in config.get_models(include_auto_created=False)
        if model._meta.managed and not model._meta.proxy
    ]


def special_names(model: type[models.Model]) -> set[str]:
    """Indexes and unique constraints that are not plain column btrees: partial, expression-based,
    with operator classes or included columns, or of another index type. Introspection cannot
    tell a partial index from a full one, so the model says which are which."""
    names = set()
    for index in model._meta.indexes:
        if (
            type(index) is not models.Index
            or index.condition is not None
            or index.expressions
            or index.opclasses
            or index.include
        ):
            names.add(index.name)
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and (
            constraint.condition is not None or constraint.expressions or constraint.opclasses or constraint.include
        ):
            names.add(constraint.name)
    return names


def _key(name: str, info: Mapping) -> tuple[tuple[str, ...], tuple[bool, ...], str] | None:
    """(columns, descending flags, family) of a plain column btree, None for anything else."""
    if not (info["index"] or info["unique"] or info["primary_key"]):
        return None  # a foreign key or check constraint
    columns = tuple(info["columns"] or ())
    if not columns or None in columns or info.get("type") not in (None, models.Index.suffix):
        return None  # an expression index, or not a btree (e.g. PostgreSQL's GIN trigram indexes)
    orders = info.get("orders") or ["ASC"] * len(columns)
    family = "pattern" if name.endswith(PATTERN_OPS_SUFFIX) else "plain"
    return columns, tuple(order == "DESC" for order in orders), family


def redundant_indexes(constraints: Mapping[str, Mapping], special: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(index, covering index) pairs: non-unique indexes whose columns, in the same order and
    direction (or all reversed: a btree is read both ways), lead another index or constraint."""
    special = set(special)
    keys = {name: _key(name, info) for name, info in constraints.items() if name not in special}
    keys = {name: key for name, key in keys.items() if key is not None}
    found = []
    for name, (columns, desc, family) in sorted(keys.items()):
        info = constraints[name]
        if info["unique"] or info["primary_key"]:
            continue  # it enforces something
        for other, (other_columns, other_desc, other_family) in sorted(keys.items()):
            n = len(columns)
            if other == name or other_family != family or other_columns[:n] != columns:
                continue
            flipped = tuple(not d for d in other_desc[:n])
            if desc in (other_desc[:n], flipped):
                found.append((name, other))
                break
    return found


def describe(table: str, constraints: Mapping[str, Mapping], pairs: list[tuple[str, str]]) -> list[str]:
    def cols(name: str) -> str:
        return ", ".join(constraints[name]["columns"])

    return [f"{table}: {name} ({cols(name)}) is covered by {other} ({cols(other)})" for name, other in pairs]


@pytest.mark.django_db
def test_no_index_of_our_own_tables_is_covered_by_another():
    problems = []
    checked = 0
    with connection.cursor() as cursor:
        for model in own_models():
            table = model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
            known = {name for known_table, name in KNOWN if known_table == table}
            pairs = redundant_indexes(constraints, special_names(model) | known)
            problems += describe(table, constraints, pairs)
            checked += 1
    assert checked > 30, "the scan should see every model of apps.*"
    assert problems == [], "redundant indexes (drop them, e.g. db_index=False on the ForeignKey):\n" + "\n".join(
        problems
    )


@pytest.mark.django_db
def test_the_known_exceptions_still_exist():
    """An entry of KNOWN whose index is gone must leave the list, so it cannot hide a new one."""
    tables = {model._meta.db_table: model for model in own_models()}
    for table, name in KNOWN:
        assert table in tables, table
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                assert name in connection.introspection.get_constraints(cursor, table), (table, name)


# The detection itself, on introspection-shaped data (so both ways are seen on every backend).


def _index(*columns: str, unique: bool = False, orders: list[str] | None = None) -> dict:
    return {
        "columns": list(columns),
        "orders": orders or ["ASC"] * len(columns),
        "unique": unique,
        "primary_key": False,
        "index": True,
        "type": "idx",
    }


def _unique_constraint(*columns: str) -> dict:
    return {"columns": list(columns), "unique": True, "primary_key": False, "index": False}


def test_a_leading_column_of_a_composite_index_is_redundant():
    constraints = {
        "t_user_id": _index("user_id"),
        "t_user_created": _index("user_id", "created", orders=["ASC", "DESC"]),
    }
    assert redundant_indexes(constraints) == [("t_user_id", "t_user_created")]


def test_a_leading_column_of_a_unique_constraint_is_redundant():
    constraints = {"t_user_id": _index("user_id"), "t_uniq": _unique_constraint("user_id", "group_id")}
    assert redundant_indexes(constraints) == [("t_user_id", "t_uniq")]


def test_the_same_columns_twice_are_redundant():
    constraints = {"t_created_a": _index("created"), "t_created_b": _index("created", orders=["DESC"])}
    assert redundant_indexes(constraints) == [("t_created_a", "t_created_b"), ("t_created_b", "t_created_a")]


def test_indexes_that_serve_other_lookups_are_not_redundant():
    constraints = {
        "t_group_id": _index("group_id"),  # second column of the unique constraint only
        "t_uniq": _unique_constraint("user_id", "group_id"),
        "t_a_b": _index("a", "b"),
        "t_a_b_desc": _index("a", "b", orders=["ASC", "DESC"]),  # another order: not the same index
        "t_mobile": _index("mobile", unique=True),  # unique: it enforces something
        "t_mobile_other": _unique_constraint("mobile"),
        "t_lower_username": {**_index(), "columns": [None]},  # an expression
        "t_name_trgm": {**_index(), "columns": [], "type": "gin"},
        "t_path_abc_like": _index("path"),  # pattern ops, another family than the plain index
        "t_path": _index("path"),
        "t_admins": _index("id"),  # partial (say the models), the primary key does not cover it
        "t_pkey": {"columns": ["id"], "unique": True, "primary_key": True, "index": False},
        "t_fk": {
            "columns": ["group_id"],
            "unique": False,
            "primary_key": False,
            "index": False,
            "foreign_key": ("g", "id"),
        },
    }
    assert redundant_indexes(constraints, special={"t_admins"}) == []
