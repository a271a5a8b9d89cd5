"""The REST API, mounted twice like ArkID v1: /siteapi/oneid/ (what v1's frontend used) and
/siteapi/v1/. Each app exports ``api_urlpatterns``; this module only collects them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_patterns = [
    # Permissions first: its token check (auth/token/) is what apps call on every request, and
    # URL resolution walks the patterns in order. No path of one app shadows another's.
    path("", include("apps.permissions.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.directory.urls")),
    path("", include("apps.audit.urls")),
    path("", include("apps.dingtalk.urls")),
    path("", include("apps.storage.api_urls")),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", permission_classes=[]), name="api-redoc"),
    path("oneid/", include((api_patterns, "oneid"))),
    path("v1/", include((api_patterns, "v1"))),
]
