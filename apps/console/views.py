"""The console's overview page: what the actor manages, at a glance."""

from __future__ import annotations

from django.views.decorators.http import require_GET

from apps.console.web import console_view, render_console
from apps.directory import scope as directory_scope
from apps.permissions.models import App


def managed_apps(scope):
    apps = App.objects.all()
    return apps if scope.is_admin else apps.filter(pk__in=scope.app_ids)


@require_GET
@console_view()
def home_view(request):
    """Counts are single COUNT queries over the scope (indexed; no rows loaded)."""
    scope = request.scope
    counts = {
        "users": directory_scope.manageable_users(request.user, scope).count(),
        "groups": directory_scope.manageable_groups(request.user, scope).filter(parent__isnull=False).count(),
        "apps": managed_apps(scope).count(),
    }
    return render_console(request, "console/home.html", {"counts": counts}, section="dashboard")
