"""The token check (``auth/token/``): who the token's user is, and whether they hold a
permission, computed by the engine at request time.

The caller only ever asks about themself (the token's user), so there is no actor to
authorise beyond being an active user. With ``app_uid`` the app's permission list is cached
and every permission of the app is one cached ``has_perm``: a repeated check makes no query,
whatever the directory's size.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import status

from apps.core.exceptions import DomainError
from apps.directory.scope import resolve_scope
from apps.permissions import cache, client_apps, engine
from apps.permissions.models import App, Permission


class UnknownObject(DomainError):
    """A query parameter naming nothing: 404 with the parameter named."""

    status_code = status.HTTP_404_NOT_FOUND


class OtherApp(DomainError):
    """An app asking about another app's permissions."""

    status_code = status.HTTP_403_FORBIDDEN


def _app_rows(app_uid: str) -> list[tuple]:
    """The app's permissions as (id, uuid, uid, kind, app id, allow_any_user) rows, from the
    cache (apps.permissions.cache, invalidated by every write to the app or its permissions)
    or in one query. Every app has its access permission, so no rows means no such app."""
    rows, may_store = cache.app_perm_rows(app_uid)
    if rows is None:
        rows = list(
            Permission.objects.filter(app__uid=app_uid).values_list(
                "id", "uuid", "uid", "kind", "app_id", "app__allow_any_user"
            )
        )
        if not rows:
            raise UnknownObject(_("No such app."), field="app_uid", code="not_found")
        if may_store:
            cache.store_app_perm_rows(app_uid, rows)
    return rows


def app_results(user, app_uid: str) -> dict[str, bool]:
    """{uid: held} for every permission of the app (404 when there is no such app), each
    through the engine's cache."""
    rows = _app_rows(app_uid)
    app = App(id=rows[0][4], uid=app_uid, allow_any_user=rows[0][5])
    perm_rows = [(pk, uuid, uid, kind) for pk, uuid, uid, kind, *_ in rows]
    return dict(zip((row[2] for row in perm_rows), engine.has_perms_of_app(user, app, perm_rows), strict=True))


def _held(user, perm_uid: str) -> bool:
    perm = Permission.objects.select_related("app").filter(uid=perm_uid).first()
    if perm is None:
        raise UnknownObject(_("No such permission."), field="perm_uid", code="not_found")
    if engine.has_perm(user, perm):
        return True
    # Base system permissions are also given by manager groups (sub-administrators).
    return perm.kind == Permission.Kind.SYSTEM and perm.uid in resolve_scope(user).perms


def app_uid_of(params) -> str:
    """The app a check names: ``app_uid``, else the app of ``oauth_client_id`` (404 when it has
    none), else "" (no app: every permission of the user)."""
    app_uid = (params.get("app_uid") or "").strip()
    client_id = (params.get("oauth_client_id") or "").strip()
    if client_id and not app_uid:
        app_uid = client_apps.app_uid_for_client(client_id) or ""
        if not app_uid:
            raise UnknownObject(_("No app has this OAuth client id."), field="oauth_client_id", code="not_found")
    return app_uid


def app_status(results: dict[str, bool], app_uid: str, perm_uid: str) -> int:
    """The HTTP status of a check of ``perm_uid`` (full, or relative to the app) given the
    app's results; 404 for a permission the app does not have."""
    if not perm_uid:
        return status.HTTP_200_OK
    full = perm_uid if perm_uid in results else f"app_{app_uid}_{perm_uid}"
    if full not in results:
        raise UnknownObject(_("No such permission in this app."), field="perm_uid", code="not_found")
    return status.HTTP_200_OK if results[full] else status.HTTP_403_FORBIDDEN


def held_perms(results: dict[str, bool], app_uid: str) -> list[str]:
    """The held permissions of the app, without the ``app_<uid>_`` prefix."""
    prefix = f"app_{app_uid}_"
    return sorted(uid.removeprefix(prefix) for uid, held in results.items() if held)


def check(user, params) -> tuple[int, list[str]]:
    """(HTTP status, perms) for ``user``'s own token check; DomainError for bad parameters."""
    perm_uid = (params.get("perm_uid") or "").strip()
    app_uid = app_uid_of(params)
    if not app_uid:
        held = _held(user, perm_uid) if perm_uid else True
        perms = set(engine.user_perms(user)) | resolve_scope(user).perms
        return (status.HTTP_200_OK if held else status.HTTP_403_FORBIDDEN), sorted(perms)
    results = app_results(user, app_uid)
    return app_status(results, app_uid, perm_uid), held_perms(results, app_uid)


def user_for_app(app_uid: str, params):
    """The active user an app authenticated by its own client credentials asks about
    (``username``). The app learns only its own permissions: naming another app (``app_uid``
    or ``oauth_client_id``) is refused, not silently answered."""
    from apps.directory.models import User

    username = (params.get("username") or "").strip().lower()
    if not username:
        raise DomainError(_("Name the user to check."), field="username", code="required")
    asked_app = (params.get("app_uid") or "").strip()
    asked_client = (params.get("oauth_client_id") or "").strip()
    if (asked_app and asked_app != app_uid) or (
        asked_client and client_apps.app_uid_for_client(asked_client) != app_uid
    ):
        raise OtherApp(_("An app may only ask about its own permissions."), field="app_uid", code="other_app")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise UnknownObject(_("No such active user."), field="username", code="not_found")
    return user


def check_for_app(app_uid: str, params) -> tuple[object, int, list[str]]:
    """(user, HTTP status, perms) for an app asking about a user (see :func:`user_for_app`)."""
    user = user_for_app(app_uid, params)
    code, perms = check(user, {"app_uid": app_uid, "perm_uid": params.get("perm_uid") or ""})
    return user, code, perms
