"""The provider wired to the rest of ArkID: the accounts guard on the password grant, an admin
ending a user's sessions, and apps asking the token check about a user with their client
credentials (the ``oauth_client_id`` hooks registered by apps.oidc)."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from apps.accounts.actions.user_sessions import end_all_sessions
from apps.audit.models import Action, Event
from apps.oidc.tests.conftest import make_client
from apps.oidc.tests.test_grants import password_grant
from apps.permissions.actions.perms import create_permission

pytestmark = pytest.mark.django_db

CHECK = "/siteapi/oneid/auth/token/"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def cli(admin_user):
    return make_client(admin_user, name="CLI", grant_types=["password", "refresh_token"])


def test_password_grant_goes_through_the_brute_force_guard(cli, bob, settings):
    settings.LOCKOUT_ACCOUNT_DELAY_AFTER = 2
    _, client_id, secret = cli
    for _attempt in range(2):
        assert password_grant(client_id, secret, "bob", "wrong").json()["error"] == "invalid_grant"
    # Now bob's account must wait: even the right password is refused, without a token.
    refused = password_grant(client_id, secret, "bob", "Passw0rd!x")
    assert refused.json()["error"] == "invalid_grant"
    assert "try again in" in refused.json()["error_description"]
    assert not AccessToken.objects.filter(user=bob).exists()
    failures = Event.objects.filter(action=Action.LOGIN_FAILED, target_id=str(bob.pk))
    assert failures.count() == 2
    assert all(event.detail["via"] == "oauth" for event in failures)


def test_ending_all_sessions_revokes_oauth_tokens(cli, bob, admin_user, django_capture_on_commit_callbacks):
    _, client_id, secret = cli
    assert password_grant(client_id, secret, "bob", "Passw0rd!x").status_code == 200
    assert AccessToken.objects.filter(user=bob).exists()
    with django_capture_on_commit_callbacks(execute=True):
        end_all_sessions(bob, actor=admin_user)
    assert not AccessToken.objects.filter(user=bob).exists()
    assert not RefreshToken.objects.filter(user=bob, revoked__isnull=True).exists()


@pytest.fixture
def wiki(admin_user):
    app, client_id, secret = make_client(admin_user, name="Wiki", grant_types=["client_credentials"])
    create_permission(actor=admin_user, app=app, name="Edit", action="edit")
    return app, client_id, secret


def test_an_app_asks_about_a_user_with_its_client_credentials(wiki, bob):
    app, client_id, secret = wiki
    response = Client().get(CHECK, {"username": "bob"}, HTTP_AUTHORIZATION=basic(client_id, secret))
    assert response.status_code == 200, response.content
    assert response.json()["username"] == "bob"
    assert response.json()["perms"] == ["access"]  # allow-any-user app; no edit grant
    denied = Client().get(CHECK, {"username": "bob", "perm_uid": "edit"}, HTTP_AUTHORIZATION=basic(client_id, secret))
    assert denied.status_code == 403


def test_the_oauth_client_id_names_the_app_for_a_users_token(wiki, bob):
    from apps.accounts.actions.tokens import issue_token

    app, client_id, _secret = wiki
    key = issue_token(bob, actor=bob)
    response = Client().get(CHECK, {"oauth_client_id": client_id}, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200, response.content
    assert response.json()["perms"] == ["access"]


@pytest.mark.parametrize(
    ("params", "auth", "status"),
    [
        ({"username": "bob"}, "wrong-secret", 401),
        ({}, None, 400),  # no username
        ({"username": "nobody"}, None, 404),
        ({"username": "bob", "app_uid": "other"}, None, 403),
    ],
)
def test_app_credential_checks_refuse_bad_requests(wiki, bob, params, auth, status):
    _, client_id, secret = wiki
    response = Client().get(CHECK, params, HTTP_AUTHORIZATION=basic(client_id, auth or secret))
    assert response.status_code == status, response.content


def test_a_malformed_basic_header_is_a_401(wiki):
    response = Client().get(CHECK, {"username": "bob"}, HTTP_AUTHORIZATION="Basic !!!notbase64")
    assert response.status_code == 401


def test_authorize_sends_a_stranger_to_the_login_page_and_back(rp, bob):
    """The IdP session comes from ArkID's own /login/ page: authorize → /login/?next= →
    sign in → back to authorize → code at the app's redirect URI with its state."""
    from urllib.parse import parse_qs, urlencode, urlsplit

    from apps.accounts.tests.test_web_login import sign_in
    from apps.oidc.tests.conftest import REDIRECT, pkce_pair

    _, client_id, _secret = rp
    _verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s-42",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    authorize = f"/oauth/authorize/?{query}"
    browser = Client(enforce_csrf_checks=True)
    to_login = browser.get(authorize)
    assert to_login.status_code == 302
    login_url = urlsplit(to_login["Location"])
    assert login_url.path == "/login/" and parse_qs(login_url.query)["next"] == [authorize]
    signed_in = sign_in(browser, "bob", "Passw0rd!x", next_url=authorize)
    assert signed_in.status_code == 302 and signed_in["Location"] == authorize
    back = browser.get(authorize)
    assert back.status_code == 302
    redirected = urlsplit(back["Location"])
    assert f"{redirected.scheme}://{redirected.netloc}{redirected.path}" == REDIRECT
    params = parse_qs(redirected.query)
    assert params["state"] == ["s-42"] and params["code"][0]
