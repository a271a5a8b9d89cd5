from django.urls import path

from apps.audit import api

urlpatterns = [
    path("log/", api.EventListView.as_view(), name="audit-log-list"),
    path("log/<uuid:uuid>/", api.EventDetailView.as_view(), name="audit-log-detail"),
    path("meta/log/", api.AuditMetaView.as_view(), name="audit-log-meta"),
]
