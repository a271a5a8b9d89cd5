"""The Accounts area, mounted at /console/accounts/."""

from django.urls import path

from apps.console.accounts import import_views, listing, perms, users

urlpatterns = [
    path("", listing.list_view, name="console-accounts"),
    path("export/", listing.export_view, name="console-accounts-export"),
    path("bulk-delete/", listing.bulk_delete_view, name="console-accounts-bulk-delete"),
    path("new/", users.new_view, name="console-accounts-new"),
    path("import/", import_views.import_view, name="console-accounts-import"),
    path("import/<uuid:job>/", import_views.job_view, name="console-accounts-import-job"),
    path("import/<uuid:job>/errors.csv", import_views.job_errors_view, name="console-accounts-import-errors"),
    path("u/<str:username>/", users.user_view, name="console-accounts-user"),
    path("u/<str:username>/password/", users.password_view, name="console-accounts-password"),
    path("u/<str:username>/status/", users.status_view, name="console-accounts-status"),
    path("u/<str:username>/invite/", users.invite_view, name="console-accounts-invite"),
    path("u/<str:username>/delete/", users.delete_view, name="console-accounts-delete"),
    path("u/<str:username>/perms/", perms.perms_view, name="console-accounts-perms"),
]
