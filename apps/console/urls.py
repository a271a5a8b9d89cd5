"""The console (管理后台), mounted at /console/ by arkid/urls.py. Each area has its own
package with its own ``urls.py``, included here."""

from django.urls import include, path

from apps.console import pickers, views

urlpatterns = [
    path("", views.home_view, name="console-home"),
    path("pickers/users/", pickers.users_view, name="console-picker-users"),
    path("pickers/groups/", pickers.groups_view, name="console-picker-groups"),
    path("sync/", include("apps.console.sync.urls")),
    path("subadmins/", include("apps.console.subadmins.urls")),
    path("audit/", include("apps.console.audit.urls")),
    path("storage/", include("apps.console.storage.urls")),
    path("groups/", include("apps.console.groups.urls")),
    path("config/", include("apps.console.config.urls")),
    path("accounts/", include("apps.console.accounts.urls")),
    path("apps/", include("apps.console.applications.urls")),
]
