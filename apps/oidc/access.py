"""Who may use an OAuth client: the access permission of its ``permissions.App``."""

from __future__ import annotations

import uuid

from django.db import DEFAULT_DB_ALIAS, connection

from apps.permissions import engine
from apps.permissions.models import App, Permission

# Asked on every token request that names a user; a plain statement, because compiling the
# equivalent ORM query (permission joined to its app) cost more than running it.
_ACCESS_SQL = (
    "SELECT p.id, p.uuid, p.uid, a.uid, a.allow_any_user "  # noqa: S608 - constant table names
    f"FROM {Permission._meta.db_table} p JOIN {App._meta.db_table} a ON a.id = p.app_id "
    "WHERE p.app_id = %s AND p.kind = %s"
)
_APP_COLUMNS = ("id", "uid", "allow_any_user")  # in the model's field order, as from_db needs


def _access_row(app_id: int) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(_ACCESS_SQL, [app_id, Permission.Kind.ACCESS.value])
        return cursor.fetchone()


def may_use(user, client) -> bool:
    """``user`` holds the access permission of the app behind ``client`` (an oidc.Application).

    Answered by the engine from the permission's row, as apps.permissions' own token check
    asks (``has_perms_of_app``: the same rule and cached result as ``has_perm``), so no
    ``Permission`` is built unless the result is not cached; the app carries just what the
    engine reads (its other columns deferred)."""
    if user is None or not user.is_active:
        return False
    row = _access_row(client.app_id)
    if row is None:
        return False
    pk, perm_uuid, uid, app_uid, allow_any_user = row
    if not isinstance(perm_uuid, uuid.UUID):
        perm_uuid = uuid.UUID(str(perm_uuid))  # SQLite stores it as 32 hex characters
    app = App.from_db(DEFAULT_DB_ALIAS, _APP_COLUMNS, (client.app_id, app_uid, bool(allow_any_user)))
    return engine.has_perms_of_app(user, app, [(pk, perm_uuid, uid, Permission.Kind.ACCESS)])[0]
