"""oauthlib gets the request's HTTP headers (and DOT's aliases of them), not the environ."""

from __future__ import annotations

from django.test import RequestFactory
from oauth2_provider.oauth2_backends import get_oauthlib_core

from apps.oidc.backend import OAuthLibCore


def test_the_configured_backend_is_ours():
    assert isinstance(get_oauthlib_core(), OAuthLibCore)


def test_headers_are_the_http_ones_with_dots_aliases():
    request = RequestFactory().post(
        "/oauth/token/",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION="Basic abc",
        HTTP_ORIGIN="https://rp.example.com",
        HTTP_USER_AGENT="RP/1",
        secure=True,
    )
    headers = OAuthLibCore().extract_headers(request)
    assert headers["Authorization"] == headers["HTTP_AUTHORIZATION"] == "Basic abc"
    assert headers["Origin"] == "https://rp.example.com" and headers["HTTP_USER_AGENT"] == "RP/1"
    assert headers["Content-Type"] == headers["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert headers["X_DJANGO_OAUTH_TOOLKIT_SECURE"] == "1"
    assert headers["SERVER_NAME"] == "testserver"
    assert not [key for key in headers if key.startswith("wsgi.") or key in ("REMOTE_ADDR", "PATH_INFO")]
