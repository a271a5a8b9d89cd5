"""``prompt=login`` and ``max_age`` (OIDC Core 3.1.2.1): a signed-in user is asked to sign in
again, once, and the authorization then resumes."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.accounts.actions.sessions import AUTH_TIME_KEY
from apps.oidc.tests.conftest import REDIRECT, make_client, pkce_pair

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize/"
PASSWORD = "Passw0rd!x"  # create_test_user's


@pytest.fixture
def client_id(admin_user):
    return make_client(admin_user, client_type="public")[1]


def _params(client_id, **extra) -> dict:
    _verifier, challenge = pkce_pair()
    return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid",
            "state": "st8", "code_challenge": challenge, "code_challenge_method": "S256", **extra}  # fmt: skip


def _signed_in(bob) -> Client:
    browser = Client()
    answer = browser.post("/login/", {"identifier": "bob", "password": PASSWORD})
    assert answer.status_code == 302, answer.content[:300]
    return browser


def _query(response) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def _is_code(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(REDIRECT) and "code" in _query(response)


def test_prompt_login_shows_the_form_again_then_resumes(bob, client_id):
    browser = _signed_in(bob)
    first_sign_in = browser.session[AUTH_TIME_KEY]
    asked = browser.get(AUTHORIZE, _params(client_id, prompt="login"))
    assert asked.status_code == 302 and asked["Location"].startswith("/login/?")
    login = _query(asked)
    assert login["reauth"] == "1" and "prompt" not in parse_qs(urlsplit(login["next"]).query)

    page = browser.get(asked["Location"])
    assert page.status_code == 200 and page.context["form"].initial["identifier"] == "bob"
    assert page.context["reauth"] and "应用要求您重新登录后继续。" in page.content.decode()  # zh-hans by default
    time.sleep(1.01)  # a later second for the new sign-in
    back = browser.post("/login/", {"identifier": "bob", "password": PASSWORD, "next": login["next"]})
    assert back.status_code == 302 and back["Location"] == login["next"]
    assert browser.session[AUTH_TIME_KEY] > first_sign_in
    assert _is_code(browser.get(back["Location"]))


def test_other_prompt_values_survive_the_new_sign_in(bob, client_id):
    asked = _signed_in(bob).get(AUTHORIZE, _params(client_id, prompt="login consent"))
    assert parse_qs(urlsplit(_query(asked)["next"]).query)["prompt"] == ["consent"]


def test_a_max_age_older_than_the_sessions_sign_in_asks_again(bob, client_id):
    browser = _signed_in(bob)
    assert _is_code(browser.get(AUTHORIZE, _params(client_id, max_age="3600")))
    session = browser.session
    session[AUTH_TIME_KEY] = int(time.time()) - 7200  # this browser signed in two hours ago
    session.save()
    asked = browser.get(AUTHORIZE, _params(client_id, max_age="3600"))
    assert asked["Location"].startswith("/login/?") and _query(asked)["reauth"] == "1"
    assert "max_age" not in parse_qs(urlsplit(_query(asked)["next"]).query)  # no loop after signing in
    assert browser.get(AUTHORIZE, _params(client_id, max_age="0"))["Location"].startswith("/login/?")


def test_with_prompt_none_a_stale_sign_in_is_login_required(bob, client_id):
    browser = _signed_in(bob)
    answer = browser.get(AUTHORIZE, _params(client_id, max_age="0", prompt="none"))
    assert answer["Location"].startswith(REDIRECT)
    assert _query(answer)["error"] == "login_required" and _query(answer)["state"] == "st8"


@pytest.mark.parametrize("max_age", ["abc", "-1", "²", ""])
def test_a_max_age_that_is_not_whole_seconds_is_ignored(bob, client_id, max_age):
    assert _is_code(_signed_in(bob).get(AUTHORIZE, _params(client_id, max_age=max_age)))


def test_without_reauth_a_signed_in_user_passes_the_login_page(bob):
    assert _signed_in(bob).get("/login/", {"next": "/portal/"})["Location"] == "/portal/"
