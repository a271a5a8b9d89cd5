"""Test helpers: apps and permissions created directly (the app actions are tested elsewhere)."""

from __future__ import annotations

import itertools

from apps.permissions.models import App, Permission, PermissionStatus

_seq = itertools.count(1)


def make_app(uid: str | None = None, *, allow_any_user: bool = False) -> App:
    uid = uid or f"app{next(_seq)}"
    app = App.objects.create(uid=uid, name=uid.title(), allow_any_user=allow_any_user)
    Permission.objects.create(
        uid=app.access_perm_uid, name=f"Access {app.name}", app=app, action="access", kind=Permission.Kind.ACCESS
    )
    return app


def access_perm(app: App) -> Permission:
    return Permission.objects.select_related("app").get(uid=app.access_perm_uid)


def make_perm(app: App, action: str) -> Permission:
    return Permission.objects.create(
        uid=f"app_{app.uid}_{action}", name=action.title(), app=app, action=action, kind=Permission.Kind.CUSTOM
    )


def set_status(perm: Permission, owner, status: int) -> None:
    """Raw write (no cache bump): only for building fixtures before any check."""
    field = "group" if owner.__class__.__name__ == "Group" else "user"
    PermissionStatus.objects.create(perm=perm, status=status, **{field: owner})
