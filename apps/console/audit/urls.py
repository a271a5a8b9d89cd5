"""Audit log area of the console, mounted at /console/audit/."""

from django.urls import path

from apps.console.audit import views

urlpatterns = [
    path("", views.list_view, name="console-audit"),
    path("<uuid:event_uuid>/", views.detail_view, name="console-audit-detail"),
]
