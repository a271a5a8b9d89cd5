"""Account sync area of the console, mounted at /console/sync/."""

from django.urls import path

from apps.console.sync import views

urlpatterns = [
    path("", views.index_view, name="console-sync"),
    path("settings/", views.settings_view, name="console-sync-settings"),
    path("start/", views.start_view, name="console-sync-start"),
    path("runs/", views.runs_view, name="console-sync-runs"),
    path("runs/<int:run_id>/", views.run_view, name="console-sync-run"),
    path("runs/<int:run_id>/status/", views.run_status_view, name="console-sync-run-status"),
    path("outbox/", views.outbox_view, name="console-sync-outbox"),
    path("outbox/<int:entry_id>/retry/", views.outbox_retry_view, name="console-sync-outbox-retry"),
]
