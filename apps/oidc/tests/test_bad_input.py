"""Malformed requests get 4xx answers, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(bob) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(bob)
    return client


@pytest.mark.parametrize(
    ("method", "path", "data", "headers"),
    [
        ("get", "/oauth/authorize/", {}, {}),
        ("get", "/oauth/authorize/", {"client_id": "nope", "response_type": "code"}, {}),
        ("get", "/oauth/authorize/", {"client_id": "x\x00y"}, {}),
        ("post", "/oauth/token/", {}, {}),
        ("post", "/oauth/token/", {"grant_type": "authorization_code", "code": "x"}, {}),
        ("post", "/oauth/token/", {"grant_type": "client_credentials", "client_id": "a\x00"}, {}),
        ("post", "/oauth/token/", {"grant_type": "refresh_token", "refresh_token": "nope"}, {}),
        ("get", "/oauth/userinfo/", {}, {}),
        ("get", "/oauth/userinfo/", {}, {"HTTP_AUTHORIZATION": "Bearer nope"}),
        ("post", "/oauth/revoke_token/", {"token": "x"}, {}),
        ("post", "/oauth/introspect/", {"token": "x"}, {"HTTP_AUTHORIZATION": "Basic !!!notbase64"}),
        ("get", "/oauth/logout/", {"id_token_hint": "not.a.jwt"}, {}),
        ("post", "/oauth/device-authorization/", {}, {}),
    ],
)
def test_no_500(browser, method, path, data, headers):
    response = getattr(browser, method)(path, data, **headers)
    assert 300 <= response.status_code < 500, (response.status_code, response.content[:300])
