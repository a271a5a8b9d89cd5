from django.urls import include, path, re_path

from apps.core import health
from apps.oidc.views import DiscoveryView
from apps.ops.metrics_view import metrics
from apps.permissions.api.check import root_urlpatterns as token_check_routes

urlpatterns = [
    path("ping/", health.ping, name="ping"),
    path("ready/", health.ready, name="ready"),
    path("metrics", metrics, name="metrics"),
    *token_check_routes,  # apps call it on every request they serve: resolved before siteapi/
    path("siteapi/", include("apps.api.urls")),
    # Relying parties call the token and userinfo endpoints on every sign-in and API call:
    # resolved before the "" include below, whose patterns Django would try one by one first.
    path("oauth/", include("apps.oidc.urls")),
    path("", include("apps.accounts.web.urls")),  # /login/, /logout/
    path("dingtalk/", include("apps.dingtalk.web_urls")),  # /dingtalk/login/inapp/ (in-app login page)
    path("console/", include("apps.console.urls")),  # the admin console (管理后台)
    path("media/", include("apps.storage.urls")),  # uploaded files (avatars), local disk or S3
    re_path(r"^\.well-known/openid-configuration/?$", DiscoveryView.as_view(), name="openid-configuration"),
    path("", include("apps.portal.urls")),  # the end-user portal (工作台), last: it owns "/"
]
