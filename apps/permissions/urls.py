from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("apps.permissions.api.check")),  # first: the hot path apps call on every request
    path("", include("apps.permissions.api.perms")),
    path("", include("apps.permissions.api.apps_api")),
    path("", include("apps.permissions.api.manager_groups")),
]
