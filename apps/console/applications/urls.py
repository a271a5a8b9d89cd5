"""URLs of the Apps area, mounted at /console/apps/ (``console-apps`` is the area's index)."""

from django.urls import path

from apps.console.applications import perm_views, views

urlpatterns = [
    path("", views.list_view, name="console-apps"),
    # "_" cannot start an app uid, so this never shadows an app.
    path("_new/", views.create_view, name="console-app-create"),
    path("<slug:uid>/", views.detail_view, name="console-app-detail"),
    path("<slug:uid>/edit/", views.edit_view, name="console-app-edit"),
    path("<slug:uid>/delete/", views.delete_view, name="console-app-delete"),
    path("<slug:uid>/rotate/<slug:protocol>/", views.rotate_view, name="console-app-rotate"),
    path("<slug:uid>/perms/", perm_views.perms_view, name="console-app-perms"),
    path("<slug:uid>/perms/<str:perm_uid>/", perm_views.perm_view, name="console-app-perm"),
    path("<slug:uid>/perms/<str:perm_uid>/rename/", perm_views.perm_rename_view, name="console-app-perm-rename"),
    path("<slug:uid>/perms/<str:perm_uid>/delete/", perm_views.perm_delete_view, name="console-app-perm-delete"),
    path("<slug:uid>/perms/<str:perm_uid>/holders/", perm_views.holders_view, name="console-app-perm-holders"),
]
