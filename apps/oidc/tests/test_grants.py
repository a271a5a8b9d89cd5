"""Grants other than the code flow's happy path: consent, implicit, password, device code."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from apps.oidc.tests.conftest import REDIRECT, make_client, pkce_pair

pytestmark = pytest.mark.django_db
TOKEN = "/oauth/token/"


@pytest.fixture
def browser(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def auth_params(client_id, **extra):
    _, challenge = pkce_pair()
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def test_consent_screen_then_allow_or_deny(admin_user, browser):
    _, client_id, _ = make_client(admin_user, name="Third party", skip_authorization=False)
    params = auth_params(client_id)
    page = browser.get("/oauth/authorize/", params)
    assert page.status_code == 200
    assert b"Third party" in page.content
    allowed = browser.post("/oauth/authorize/", {**params, "allow": "Authorize"})
    assert allowed.status_code == 302
    assert "code" in parse_qs(urlsplit(allowed["Location"]).query)
    denied = browser.post("/oauth/authorize/", params)  # no "allow": the user said no
    query = parse_qs(urlsplit(denied["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]


def test_implicit_is_off_unless_the_app_enables_it(admin_user, browser):
    _, client_id, _ = make_client(admin_user, name="Code app")
    answer = browser.get("/oauth/authorize/", auth_params(client_id, response_type="token"))
    assert parse_qs(urlsplit(answer["Location"]).query)["error"] == ["unauthorized_client"]
    _, implicit_id, _ = make_client(admin_user, name="Old SPA", client_type="public", allow_implicit=True)
    answer = browser.get("/oauth/authorize/", auth_params(implicit_id, response_type="token", scope="read"))
    assert answer.status_code == 302
    assert "access_token=" in urlsplit(answer["Location"]).fragment


def password_grant(client_id, secret, username, password):
    return Client().post(
        TOKEN,
        {"grant_type": "password", "username": username, "password": password, "scope": "openid profile"},
        HTTP_AUTHORIZATION=_basic(client_id, secret),
    )


def _basic(client_id, secret) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_password_grant_checks_the_password_and_the_access(admin_user, bob):
    _, client_id, secret = make_client(admin_user, name="CLI", grant_types=["password", "refresh_token"])
    ok = password_grant(client_id, secret, "bob", "Passw0rd!x")
    assert ok.status_code == 200, ok.content
    assert "refresh_token" in ok.json()
    assert password_grant(client_id, secret, "bob", "wrong").json()["error"] == "invalid_grant"
    assert password_grant(client_id, secret, "nobody", "x").json()["error"] == "invalid_grant"
    _, private_id, private_secret = make_client(
        admin_user, name="Private CLI", allow_any_user=False, grant_types=["password"]
    )
    denied = password_grant(private_id, private_secret, "bob", "Passw0rd!x")
    assert denied.status_code in (400, 401, 403)
    assert denied.json()["error"] == "access_denied"


def form_post(url, data):
    return Client().post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


def test_device_code_grant(admin_user, browser):
    _, client_id, secret = make_client(admin_user, name="TV", client_type="public", grant_types=["device_code"])
    started = form_post("/oauth/device-authorization/", {"client_id": client_id, "scope": "openid"})
    assert started.status_code == 200, started.content
    device = started.json()
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device["device_code"],
        "client_id": client_id,
    }
    pending = form_post(TOKEN, form)
    assert pending.json()["error"] == "authorization_pending"
    entered = browser.post("/oauth/device/", {"user_code": device["user_code"]})
    assert entered.status_code == 302
    confirmed = browser.post(entered["Location"], {"action": "accept"})
    assert confirmed.status_code in (200, 302)
    token = form_post(TOKEN, form)
    assert token.status_code == 200, token.content
    assert re.match(r"^[\w.-]+$", token.json()["access_token"])
    again = form_post(TOKEN, form)  # the device code is spent
    assert again.status_code == 400


def test_device_code_refused_to_a_user_without_access(admin_user, browser):
    _, client_id, _ = make_client(
        admin_user, name="Kiosk", client_type="public", grant_types=["device_code"], allow_any_user=False
    )
    device = form_post("/oauth/device-authorization/", {"client_id": client_id}).json()
    entered = browser.post("/oauth/device/", {"user_code": device["user_code"]})
    browser.post(entered["Location"], {"action": "accept"})
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device["device_code"],
        "client_id": client_id,
    }
    answer = form_post(TOKEN, form)
    assert answer.json()["error"] == "access_denied"


def test_a_refresh_is_refused_once_the_access_is_taken_away(admin_user, bob):
    from apps.permissions.actions.apps import update_app

    app, client_id, secret = make_client(admin_user, name="CLI", grant_types=["password", "refresh_token"])
    issued = password_grant(client_id, secret, "bob", "Passw0rd!x").json()

    def refresh(token):
        data = {"grant_type": "refresh_token", "refresh_token": token}
        return Client().post(TOKEN, data, HTTP_AUTHORIZATION=_basic(client_id, secret))

    renewed = refresh(issued["refresh_token"])
    assert renewed.status_code == 200, renewed.content
    update_app(app, actor=admin_user, fields={"allow_any_user": False})
    refused = refresh(renewed.json()["refresh_token"])
    assert refused.status_code in (400, 401, 403)
    assert refused.json()["error"] in ("invalid_grant", "access_denied")
