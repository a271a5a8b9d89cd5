"""Mounted at /oauth/ (the seed's paths) under DOT's namespace, so DOT's own views reverse
their URLs. DOT's application-management pages are left out: clients are managed through the
apps API (the ``oauth_app`` protocol)."""

from __future__ import annotations

from django.urls import path, re_path
from oauth2_provider import urls as dot_urls
from oauth2_provider import views as dot_views

from apps.oidc import views

app_name = "oauth2_provider"

_OURS = {"authorize", "token", "introspect", "device-authorization", "user-info", "revoke-token"}

urlpatterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),  # early: hot, like token/
    path("introspect/", views.IntrospectView.as_view(), name="introspect"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("device-authorization/", views.DeviceAuthorizationView.as_view(), name="device-authorization"),
    *[p for p in dot_urls.base_urlpatterns if p.name not in _OURS],
    re_path(
        r"^\.well-known/openid-configuration/?$", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"
    ),
    path(".well-known/jwks.json", views.JwksView.as_view(), name="jwks-info"),
    path("logout/", dot_views.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
]
