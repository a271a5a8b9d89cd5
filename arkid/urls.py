from django.urls import include, path

from apps.core import health
from apps.ops.metrics_view import metrics

urlpatterns = [
    path("ping/", health.ping, name="ping"),
    path("ready/", health.ready, name="ready"),
    path("metrics", metrics, name="metrics"),
    path("siteapi/", include("apps.api.urls")),
]
