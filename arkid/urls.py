from django.urls import include, path

from apps.core import health

urlpatterns = [
    path("ping/", health.ping, name="ping"),
    path("ready/", health.ready, name="ready"),
    path("siteapi/", include("apps.api.urls")),
    path("", include("apps.accounts.web.urls")),  # /login/, /logout/
]
