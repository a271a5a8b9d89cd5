"""CORS for browser apps (apps.oidc.cors): a client's ``allowed_origins``, the answers and
preflights of the token endpoint, userinfo and revocation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.oidc.models import Application
from apps.oidc.tests.conftest import REDIRECT, make_client, pkce_pair
from apps.permissions.actions.apps import update_app
from apps.permissions.models import App

pytestmark = pytest.mark.django_db

SPA = "https://spa.example.com"
ELSEWHERE = "https://evil.example.net"
TOKEN, USERINFO, REVOKE = "/oauth/token/", "/oauth/userinfo/", "/oauth/revoke_token/"


@pytest.fixture
def spa(admin_user):
    """A public client (PKCE, no secret) whose pages are served from SPA."""
    return make_client(admin_user, name="SPA", client_type="public", allowed_origins=[SPA])


def _tokens(bob, client_id, origin=None) -> tuple[dict, object]:
    browser = Client()
    browser.force_login(bob)
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    code = parse_qs(urlsplit(browser.get("/oauth/authorize/", params)["Location"]).query)["code"][0]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    answer = Client().post(TOKEN, data, **extra)
    assert answer.status_code == 200, answer.content
    return answer.json(), answer


def test_origins_are_kept_normalised_and_shown(admin_user):
    app, _, _ = make_client(
        admin_user, client_type="public", allowed_origins=["https://SPA.example.com/", "https://spa.example.com:8443"]
    )
    client = Application.objects.get(app=app)
    assert client.allowed_origins == "https://spa.example.com https://spa.example.com:8443"
    assert client.origin_allowed("https://spa.example.com:8443")


@pytest.mark.parametrize(
    "origins",
    [
        ["http://spa.example.com"],
        ["https://spa.example.com/app"],
        ["https://spa.example.com?x=1"],
        ["https://user@spa.example.com"],
        ["spa.example.com"],
        ["https://"],
        ["https://[::1"],
        [42],
        {"a": 1},
    ],
)
def test_a_bad_origin_is_a_clear_400_and_nothing_is_created(admin_user, origins):
    admin = Client()
    admin.force_login(admin_user)
    body = {"name": "Bad", "oauth_app": {"client_type": "public", "allowed_origins": origins}}
    answer = admin.post("/siteapi/v1/app/", body, content_type="application/json")
    assert answer.status_code == 400
    assert "allowed_origins:" in answer.json()["oauth_app"][0]
    assert not App.objects.filter(name="Bad").exists()


def test_the_code_exchange_names_an_allowed_origin(spa, bob):
    _, allowed = _tokens(bob, spa[1], origin=SPA)
    assert allowed["Access-Control-Allow-Origin"] == SPA
    _, other = _tokens(bob, spa[1], origin=ELSEWHERE)
    assert "Access-Control-Allow-Origin" not in other
    _, server = _tokens(bob, spa[1])
    assert "Access-Control-Allow-Origin" not in server


def test_a_refresh_names_an_allowed_origin(spa, bob):
    issued, _ = _tokens(bob, spa[1], origin=SPA)
    data = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], "client_id": spa[1]}
    renewed = Client().post(TOKEN, data, HTTP_ORIGIN=SPA)
    assert renewed.status_code == 200 and renewed["Access-Control-Allow-Origin"] == SPA


def test_another_clients_origin_is_not_allowed(admin_user, spa, bob):
    _, other_id, _ = make_client(admin_user, name="Other", client_type="public", allowed_origins=[ELSEWHERE])
    _, answer = _tokens(bob, other_id, origin=SPA)
    assert "Access-Control-Allow-Origin" not in answer


@pytest.mark.parametrize("path, methods", [(TOKEN, "POST"), (USERINFO, "GET, POST"), (REVOKE, "POST")])
def test_preflights_answer_origins_some_client_allows(spa, path, methods):
    allowed = Client().options(path, HTTP_ORIGIN=SPA, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == SPA
    assert allowed["Access-Control-Allow-Methods"] == methods
    assert "Authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Origin" in allowed["Vary"] and "Access-Control-Allow-Credentials" not in allowed
    for origin in (ELSEWHERE, "https://spa.example.com.evil.net", "null"):
        refused = Client().options(path, HTTP_ORIGIN=origin)
        assert refused.status_code == 204 and "Access-Control-Allow-Origin" not in refused
    assert "Access-Control-Allow-Origin" not in Client().options(path)


def test_userinfo_names_the_origin_its_tokens_client_allows(spa, bob):
    issued, _ = _tokens(bob, spa[1], origin=SPA)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issued['access_token']}"}
    allowed = Client().get(USERINFO, HTTP_ORIGIN=SPA, **bearer)
    assert allowed.status_code == 200 and allowed["Access-Control-Allow-Origin"] == SPA
    assert allowed["Access-Control-Expose-Headers"] == "WWW-Authenticate" and "Origin" in allowed["Vary"]
    other = Client().get(USERINFO, HTTP_ORIGIN=ELSEWHERE, **bearer)
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other
    server = Client().get(USERINFO, **bearer)
    assert "Access-Control-Allow-Origin" not in server and "Vary" not in server


def test_an_origin_removed_from_the_client_is_no_longer_named(admin_user, spa, bob):
    issued, _ = _tokens(bob, spa[1], origin=SPA)
    app = spa[0]
    config = {"client_type": "public", "redirect_uris": [REDIRECT], "allowed_origins": []}
    update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": config})
    answer = Client().get(USERINFO, HTTP_ORIGIN=SPA, HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}")
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer


def test_a_browser_app_revokes_its_token_and_reads_the_answer(spa, bob):
    issued, _ = _tokens(bob, spa[1], origin=SPA)
    data = {"token": issued["access_token"], "client_id": spa[1]}
    revoked = Client().post(REVOKE, data, HTTP_ORIGIN=SPA)
    assert revoked.status_code == 200 and revoked["Access-Control-Allow-Origin"] == SPA
    assert Client().get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}").status_code == 401
    elsewhere = Client().post(REVOKE, {"token": "nope", "client_id": spa[1]}, HTTP_ORIGIN=ELSEWHERE)
    assert "Access-Control-Allow-Origin" not in elsewhere
