"""Hand-written statements for the token endpoint's hot path.

A token request writes two or three rows and reads a few by an indexed column; compiling the
ORM's statements for that cost several times more than running them (measured with
bench/bench_oidc.py: a refresh spent most of its time in Django's SQL compiler). These helpers
prepare values with the models' own fields (``pre_save`` and ``get_db_prep_save``: token
checksums, ``auto_now`` timestamps, JSON columns), so the rows are exactly what ``save()``
writes (apps.core.rows), and read rows back into the models' own instances with the ORM's own
converters and ``from_db``, related rows joined in the same statement where a grant needs
them (``fetch_joined``: what ``select_related`` would cache). Each statement's text is
built once per model and database vendor.

No model signals are sent for these rows (saves, and the deletion of a redeemed grant):
nothing in ArkID listens to DOT's token models or to RedeemedCode (a test keeps it that way).
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.base import DEFERRED
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from apps.core import rows


def _conn():
    # One lookup per call: every attribute read through the ``connection`` proxy costs one.
    return connections[DEFAULT_DB_ALIAS]


def _qn(name: str) -> str:
    return _conn().ops.quote_name(name)


# Rows are inserted with apps.core.rows (one precompiled statement, values prepared by the
# fields as ``save()`` prepares them).
insert = rows.insert


@cache
def _select(model, alias: str, vendor: str, only: tuple[str, ...] = ()) -> tuple[str, tuple, tuple]:
    """The column list of ``model`` (qualified by ``alias``; just the ``only`` attributes
    when given, the others left deferred) and, per column, the converters the ORM would apply
    to it (SQLite hands back datetimes and UUIDs as text; JSON is text everywhere)."""
    conn = _conn()
    fields = tuple(f for f in model._meta.concrete_fields if not only or f.attname in only)
    columns = ", ".join(f"{alias}.{_qn(f.column)}" for f in fields)
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        for func in conn.ops.get_db_converters(col) + field.get_db_converters(conn):
            converters.append((index, func, col))
    return columns, tuple(f.attname for f in fields), tuple(converters)


@cache
def _positions(model, names: tuple[str, ...]) -> tuple[int, tuple[int, ...]] | None:
    """For a partial column list: the number of concrete fields and where each read column
    goes among them (None when every column is read)."""
    concrete = [f.attname for f in model._meta.concrete_fields]
    return None if list(names) == concrete else (len(concrete), tuple(concrete.index(name) for name in names))


def _build(model, row, names, converters, conn):
    values = list(row)
    for index, func, col in converters:
        values[index] = func(values[index], col, conn)
    positions = _positions(model, names)
    if positions is not None:
        # What from_db does for a partial row (the others deferred), without its search of
        # the names for every field on every call.
        count, places = positions
        full = [DEFERRED] * count
        for place, value in zip(places, values, strict=True):
            full[place] = value
        values = full
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


@cache
def _fetch_sql(model, column: str, order_by: str, vendor: str) -> tuple[str, tuple, tuple]:
    columns, names, converters = _select(model, "t", vendor)
    sql = f"SELECT {columns} FROM {_qn(model._meta.db_table)} t WHERE t.{_qn(column)} = %s {order_by} LIMIT 1"  # noqa: S608
    return sql, names, converters


def fetch_one(model, column: str, value, *, order_by: str = ""):
    """``SELECT … FROM <model> WHERE <column> = %s [ORDER BY …] LIMIT 1`` as an instance,
    built as the ORM builds one (``from_db``) but without its compiler."""
    conn = _conn()
    sql, names, converters = _fetch_sql(model, column, order_by, conn.vendor)
    with conn.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    return None if row is None else _build(model, row, names, converters, conn)


# What a bearer check and the claims read: the other columns stay deferred (a user row is
# wide, and converting columns nobody reads was a third of userinfo's own time).
_BEARER_TOKEN_COLUMNS = ("id", "user_id", "application_id", "expires", "scope", "resource")
_CLAIM_USER_COLUMNS = ("id", "uuid", "username", "name", "email", "mobile", "avatar", "updated", "is_active")


@cache
def _bearer_sql(vendor: str) -> tuple[str, tuple, tuple]:
    user_model = get_user_model()
    token_cols, token_names, token_conv = _select(AccessToken, "t", vendor, _BEARER_TOKEN_COLUMNS)
    user_cols, user_names, user_conv = _select(user_model, "u", vendor, _CLAIM_USER_COLUMNS)
    sql = (
        f"SELECT {token_cols}, {user_cols} FROM {_qn(AccessToken._meta.db_table)} t "  # noqa: S608
        f"LEFT JOIN {_qn(user_model._meta.db_table)} u ON u.{_qn(user_model._meta.pk.column)} = t.{_qn('user_id')} "
        f"WHERE t.{_qn('token_checksum')} = %s LIMIT 1"
    )
    return sql, (token_names, token_conv), (user_names, user_conv)


def access_token_with_user(checksum: str) -> tuple[AccessToken, object] | None:
    """A bearer token by its checksum and its user (None for a client's own token), in one
    statement, with the columns the userinfo endpoint reads; the user is cached on the token
    as ``select_related`` would."""
    conn = _conn()
    sql, (token_names, token_conv), (user_names, user_conv) = _bearer_sql(conn.vendor)
    with conn.cursor() as cursor:
        cursor.execute(sql, [checksum])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_names)
    token = _build(AccessToken, row[:split], token_names, token_conv, conn)
    user = _build(get_user_model(), row[split:], user_names, user_conv, conn) if token.user_id is not None else None
    AccessToken._meta.get_field("user").set_cached_value(token, user)
    return token, user


@cache
def _live_first(vendor: str) -> str:
    """DOT's order of refresh tokens sharing a checksum (uniqueness is checksum + revoked):
    the live one, else the most recently revoked."""
    revoked = f"t.{_qn('revoked')}"
    return f"ORDER BY {revoked} IS NOT NULL, {revoked} DESC"


@cache
def _joined_sql(model, column: str, relations: tuple[str, ...], order_by: str, vendor: str) -> tuple[str, tuple]:
    fields = [model._meta.get_field(name) for name in relations]
    parts = [_select(model, "t", vendor)] + [_select(f.related_model, f"j{i}", vendor) for i, f in enumerate(fields)]
    joins = " ".join(
        f"LEFT JOIN {_qn(f.related_model._meta.db_table)} j{i} ON j{i}.{_qn(f.target_field.column)} = t.{_qn(f.column)}"
        for i, f in enumerate(fields)
    )
    sql = (
        f"SELECT {', '.join(columns for columns, _n, _c in parts)} "  # noqa: S608 - names from _meta
        f"FROM {_qn(model._meta.db_table)} t {joins} WHERE t.{_qn(column)} = %s {order_by} LIMIT 1"
    )
    return sql, tuple((names, converters) for _columns, names, converters in parts)


def fetch_joined(model, column: str, value, relations: tuple[str, ...], *, order_by: str = ""):
    """:func:`fetch_one` with the rows of the foreign keys ``relations`` (names of fields of
    ``model`` pointing at a primary key) read in the same statement and cached on the instance
    as ``select_related`` would (None where the key is null or its row is gone)."""
    conn = _conn()
    sql, parts = _joined_sql(model, column, relations, order_by, conn.vendor)
    with conn.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    (names, converters), *related = parts
    start = len(names)
    instance = _build(model, row[:start], names, converters, conn)
    for name, (names, converters) in zip(relations, related, strict=True):
        end = start + len(names)
        pk_index = names.index(model._meta.get_field(name).target_field.attname)
        # A left join that found nothing gives NULLs, the primary key included.
        found = (
            None
            if row[start + pk_index] is None
            else _build(model._meta.get_field(name).related_model, row[start:end], names, converters, conn)
        )
        model._meta.get_field(name).set_cached_value(instance, found)
        start = end
    return instance


def refresh_token_for_grant(checksum: str) -> RefreshToken | None:
    """DOT's lookup of a refresh token by its checksum (see :func:`_live_first`), with the
    access token it was issued with and its user, in one statement instead of three."""
    order = _live_first(_conn().vendor)
    return fetch_joined(RefreshToken, "token_checksum", checksum, ("access_token", "user"), order_by=order)


@cache
def _rotation_sql(vendor: str, for_update: bool) -> tuple[str, str, str]:
    rt, at = _qn(RefreshToken._meta.db_table), _qn(AccessToken._meta.db_table)
    lock = " FOR UPDATE" if for_update else ""
    select = (
        f"SELECT revoked, access_token_id, EXISTS (SELECT 1 FROM {at} WHERE source_refresh_token_id = %s) "  # noqa: S608
        f"FROM {rt} WHERE id = %s{lock}"
    )
    update = f"UPDATE {rt} SET revoked = %s, updated = %s, access_token_id = NULL WHERE id = %s"  # noqa: S608
    delete = f"DELETE FROM {at} WHERE id = %s"  # noqa: S608
    return select, update, delete


def lock_for_rotation(refresh_token_id: int) -> tuple | None:
    """Lock a refresh token for rotation (PostgreSQL; SQLite's IMMEDIATE transaction already
    holds the write lock) and return ``(revoked, access_token_id, superseded)``, where
    ``superseded`` says an access token was already minted from it (a concurrent rotation)."""
    conn = _conn()
    sql = _rotation_sql(conn.vendor, conn.features.has_select_for_update)[0]
    with conn.cursor() as cursor:
        cursor.execute(sql, [refresh_token_id, refresh_token_id])
        return cursor.fetchone()


def revoke_for_rotation(refresh_token_id: int, access_token_id: int | None, now) -> None:
    """What ``RefreshToken.revoke()`` writes: the refresh token marked revoked (its pointer to
    the access token cleared, as the delete's SET_NULL would), the access token deleted."""
    conn = _conn()
    _select_sql, update, delete = _rotation_sql(conn.vendor, conn.features.has_select_for_update)
    stamp = conn.ops.adapt_datetimefield_value(now)
    with conn.cursor() as cursor:
        cursor.execute(update, [stamp, stamp, refresh_token_id])
        if access_token_id:
            # A OneToOne target: the refresh token just updated was the only row pointing at it.
            cursor.execute(delete, [access_token_id])


@cache
def _delete_grant_sql(vendor: str) -> str:
    return f"DELETE FROM {_qn(Grant._meta.db_table)} WHERE {_qn('code')} = %s AND {_qn('application_id')} = %s"  # noqa: S608


def delete_grant(code: str, application_id: int) -> int:
    """Redeem an authorization code: delete its row, and say whether there was one (0: a
    concurrent request redeemed it first). ``Grant.objects.filter(...).delete()`` runs the
    same single DELETE (nothing refers to a grant, nothing listens to its deletion: tested),
    after compiling it and collecting what would cascade."""
    conn = _conn()
    with conn.cursor() as cursor:
        cursor.execute(_delete_grant_sql(conn.vendor), [code, application_id])
        return cursor.rowcount
