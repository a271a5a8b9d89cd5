"""Who may use an OAuth client: the access permission of its ``permissions.App``."""

from __future__ import annotations

import uuid

from django.db import connection

from apps.permissions import engine
from apps.permissions.models import App, Permission

# Asked on every token request that names a user; a plain statement, because compiling the
# equivalent ORM query (permission joined to its app) cost more than running it.
_ACCESS_SQL = (
    "SELECT p.id, p.uuid, p.uid, a.uid, a.allow_any_user "  # noqa: S608 - constant table names
    f"FROM {Permission._meta.db_table} p JOIN {App._meta.db_table} a ON a.id = p.app_id "
    "WHERE p.app_id = %s AND p.kind = %s"
)


def access_permission(app_id: int) -> Permission | None:
    """The app's access permission, with just what the engine reads (ids, uuid, the app's
    uid and ``allow_any_user``), as apps.permissions' own token check builds it."""
    with connection.cursor() as cursor:
        cursor.execute(_ACCESS_SQL, [app_id, Permission.Kind.ACCESS.value])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, perm_uuid, uid, app_uid, allow_any_user = row
    if not isinstance(perm_uuid, uuid.UUID):
        perm_uuid = uuid.UUID(str(perm_uuid))  # SQLite stores it as 32 hex characters
    app = App(id=app_id, uid=app_uid, allow_any_user=bool(allow_any_user))
    return Permission(id=pk, uuid=perm_uuid, uid=uid, kind=Permission.Kind.ACCESS, app=app)


def may_use(user, client) -> bool:
    """``user`` holds the access permission of the app behind ``client`` (an oidc.Application)."""
    if user is None or not user.is_active:
        return False
    perm = access_permission(client.app_id)
    return perm is not None and engine.has_perm(user, perm)
