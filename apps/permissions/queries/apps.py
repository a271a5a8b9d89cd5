"""Reading apps: administrators every app, sub-administrators the apps their manager groups
list (others are a 404, as if they did not exist)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from apps.directory.scope import resolve_scope
from apps.permissions.models import App, AppProtocol, Permission


def manageable_apps(actor) -> QuerySet[App]:
    found = resolve_scope(actor)
    if found.is_admin:
        return App.objects.all()
    if not found.is_manager:
        raise PermissionDenied
    return App.objects.filter(pk__in=sorted(found.app_ids))


def for_display(apps: QuerySet[App]) -> QuerySet[App]:
    """Two extra queries for any page: the protocols and the access permissions."""
    return apps.prefetch_related(
        Prefetch("protocols", queryset=AppProtocol.objects.order_by("name")),
        Prefetch("perms", queryset=Permission.objects.filter(kind=Permission.Kind.ACCESS), to_attr="access_perms"),
    )


def list_apps(actor, params) -> QuerySet[App]:
    """v1's ``?name=`` filter (a substring, case-insensitive), oldest first."""
    apps = manageable_apps(actor)
    name = (params.get("name") or "").strip()
    if name:
        apps = apps.filter(name__icontains=name)
    return apps.order_by("id")


def access_app(actor, uid: str) -> App:
    app = manageable_apps(actor).filter(uid=uid).first()
    if app is None:
        raise Http404("No such app.")
    return app
