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


# Odd but possible authorization parameters (OIDC Core 3.1.2.1 and beyond), as anyone may send.
ODD_AUTHORIZE = [
    {"prompt": "login"}, {"prompt": "consent"}, {"prompt": "select_account"}, {"prompt": "none login"},
    {"prompt": "create"}, {"prompt": "bogus"}, {"prompt": "none"}, {"max_age": "0"}, {"max_age": "abc"},
    {"id_token_hint": "abc"}, {"id_token_hint": "a.b.c"}, {"login_hint": "bob"}, {"response_mode": "form_post"},
    {"response_mode": "bogus"}, {"response_type": "id_token"}, {"response_type": "id_token token", "nonce": "n"},
    {"response_type": "code id_token"}, {"response_type": "token"}, {"response_type": "none"}, {"response_type": ""},
    {"claims": "{bad"}, {"claims": '{"userinfo": {"email": null}}'}, {"request": "a.b.c"},
    {"request_uri": "https://x.example.com/r"}, {"ui_locales": "zh-CN en"}, {"acr_values": "x"}, {"display": "popup"},
    {"scope": ""}, {"scope": "openid bogus"}, {"code_challenge_method": "plain"}, {"code_challenge": ""},
    {"code_challenge": "x" * 200}, {"client_id": ""}, {"redirect_uri": ""}, {"state": "x" * 5000},
    {"resource": "https://api.example.com"}, {"resource": "not a uri"},
]  # fmt: skip


@pytest.fixture
def public_client(admin_user):
    from apps.oidc.tests.conftest import make_client  # noqa: PLC0415

    return make_client(admin_user, name="SPA", client_type="public", allow_implicit=True)[1]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("odd", ODD_AUTHORIZE, ids=lambda odd: ",".join(f"{k}={v[:20]}" for k, v in odd.items()))
def test_odd_authorization_requests_are_no_500(browser, public_client, signed_in, odd):
    from apps.oidc.tests.conftest import REDIRECT, pkce_pair  # noqa: PLC0415

    client = browser if signed_in else Client(raise_request_exception=False)
    _verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": public_client, "redirect_uri": REDIRECT, "scope": "openid",
              "state": "s", "code_challenge": challenge, "code_challenge_method": "S256", **odd}  # fmt: skip
    for method in ("get", "post"):
        response = getattr(client, method)("/oauth/authorize/", params)
        assert response.status_code < 500, (method, response.status_code, response.content[:300])


DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "refresh_token"},
        {"grant_type": "password"},
        {"grant_type": "client_credentials", "scope": "bogus"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b.c"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"},
        {"grant_type": DEVICE},
        {"grant_type": DEVICE, "device_code": "nope"},
    ],
)
def test_odd_token_requests_are_no_500(public_client, data):
    for extra in ({}, {"client_id": public_client}):
        response = Client(raise_request_exception=False).post("/oauth/token/", {**data, **extra})
        assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
        assert response.json()["error"]


def test_device_code_errors_are_rfc_8628s(public_client):
    missing = Client().post("/oauth/token/", {"grant_type": DEVICE, "client_id": public_client})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert missing["Cache-Control"] == "no-store"
    unknown = Client().post("/oauth/token/", {"grant_type": DEVICE, "client_id": public_client, "device_code": "x"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
