"""``prompt=none`` (OIDC Core 3.1.2.1, silent sign-in as SPAs renew their tokens): never a
page, always an answer on the app's redirect URI, and never to an unregistered one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.audit.models import Action, Event
from apps.oidc.tests.conftest import REDIRECT, make_client, pkce_pair

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize/"


def _params(client_id, **extra) -> dict:
    _verifier, challenge = pkce_pair()
    return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid",
            "state": "st8", "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "none",
            **extra}  # fmt: skip


def _signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _answer(response) -> dict:
    assert response.status_code == 302, response.content[:300]
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_a_signed_in_user_of_a_trusted_app_gets_a_code_silently(admin_user, bob):
    _, client_id, _ = make_client(admin_user, client_type="public")
    answer = _answer(_signed_in(bob).get(AUTHORIZE, _params(client_id)))
    assert answer["code"] and answer["state"] == "st8"


def test_without_a_session_it_is_login_required_not_the_login_page(admin_user):
    _, client_id, _ = make_client(admin_user, client_type="public")
    answer = _answer(Client().get(AUTHORIZE, _params(client_id)))
    assert answer["error"] == "login_required" and answer["state"] == "st8" and "code" not in answer


def test_an_app_that_needs_consent_is_consent_required(admin_user, bob):
    _, client_id, _ = make_client(admin_user, client_type="public", skip_authorization=False)
    answer = _answer(_signed_in(bob).get(AUTHORIZE, _params(client_id)))
    assert answer["error"] == "consent_required" and answer["state"] == "st8"


def test_consent_given_before_lets_approval_prompt_auto_through(admin_user, bob):
    _, client_id, _ = make_client(admin_user, client_type="public", skip_authorization=False)
    browser = _signed_in(bob)
    verifier, challenge = pkce_pair()
    interactive = {**_params(client_id, code_challenge=challenge), "prompt": ""}
    code = _answer(browser.post(AUTHORIZE, {**interactive, "allow": "Authorize"}))["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id,
                "code_verifier": verifier}  # fmt: skip
    assert Client().post("/oauth/token/", exchange).status_code == 200  # a live token: consent on record
    assert _answer(browser.get(AUTHORIZE, _params(client_id, approval_prompt="auto")))["code"]
    # DOT's default asks again (approval_prompt=force): silently, that is consent_required.
    assert _answer(browser.get(AUTHORIZE, _params(client_id)))["error"] == "consent_required"


def test_a_user_without_access_is_access_denied_on_the_redirect_uri(admin_user, bob):
    _, client_id, _ = make_client(admin_user, client_type="public", allow_any_user=False)
    answer = _answer(_signed_in(bob).get(AUTHORIZE, _params(client_id)))
    assert answer["error"] == "access_denied" and answer["state"] == "st8" and "code" not in answer
    assert Event.objects.filter(action=Action.OAUTH_ACCESS_DENIED).count() == 1


@pytest.mark.parametrize("signed_in", [False, True])
def test_an_unregistered_redirect_uri_is_never_followed(admin_user, bob, signed_in):
    _, client_id, _ = make_client(admin_user, client_type="public", allow_any_user=False)
    browser = _signed_in(bob) if signed_in else Client()
    response = browser.get(AUTHORIZE, _params(client_id, redirect_uri="https://evil.example.net/cb"))
    assert response.status_code == 400 and "Location" not in response
