from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("apps.permissions.api.perms")),
    path("", include("apps.permissions.api.apps_api")),
]
