"""Reading apps. Administrators only for now: sub-administrators (v1's manager groups with an
``apps`` scope) come later in the permissions issue and will narrow these querysets."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from apps.permissions.models import App, AppProtocol, Permission


def _require_admin(actor) -> None:
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied


def for_display(apps: QuerySet[App]) -> QuerySet[App]:
    """Two extra queries for any page: the protocols and the access permissions."""
    return apps.prefetch_related(
        Prefetch("protocols", queryset=AppProtocol.objects.order_by("name")),
        Prefetch("perms", queryset=Permission.objects.filter(kind=Permission.Kind.ACCESS), to_attr="access_perms"),
    )


def list_apps(actor, params) -> QuerySet[App]:
    """v1's ``?name=`` filter (a substring, case-insensitive), oldest first."""
    _require_admin(actor)
    apps = App.objects.all()
    name = (params.get("name") or "").strip()
    if name:
        apps = apps.filter(name__icontains=name)
    return apps.order_by("id")


def access_app(actor, uid: str) -> App:
    _require_admin(actor)
    app = App.objects.filter(uid=uid).first()
    if app is None:
        raise Http404("No such app.")
    return app
