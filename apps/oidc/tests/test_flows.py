"""Authorization code flow through Django's test client: access, consent, PKCE, replay, errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.oidc.models import Application
from apps.oidc.tests.conftest import REDIRECT, make_client, pkce_pair

pytestmark = pytest.mark.django_db


def authorize(browser: Client, client_id: str, challenge: str, **extra):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return browser.get("/oauth/authorize/", params)


def code_from(response) -> str:
    assert response.status_code == 302, response.content[:500]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(client_id, secret, code, verifier):
    return Client().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
    )


@pytest.fixture
def browser(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def test_code_flow_issues_tokens(rp, browser):
    _, client_id, secret = rp
    verifier, challenge = pkce_pair()
    code = code_from(authorize(browser, client_id, challenge))
    response = exchange(client_id, secret, code, verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"access_token", "refresh_token", "id_token"} <= set(body)


def test_client_secret_is_hashed_with_the_fast_hasher(rp):
    _, client_id, secret = rp
    stored = Application.objects.get(client_id=client_id).client_secret
    assert stored.startswith("arkid_client_sha256$")
    assert secret not in stored


def test_unauthenticated_user_goes_to_login(rp):
    _, client_id, _ = rp
    response = authorize(Client(), client_id, pkce_pair()[1])
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_user_without_access_gets_a_page_not_a_code(admin_user, browser):
    _, client_id, _ = make_client(admin_user, name="Private", allow_any_user=False)
    response = authorize(browser, client_id, pkce_pair()[1])
    assert response.status_code == 403
    assert b"do not have access to Private" in response.content


def test_expired_code_is_refused(rp, browser):
    import datetime as dt

    from django.utils import timezone
    from oauth2_provider.models import Grant

    _, client_id, secret = rp
    verifier, challenge = pkce_pair()
    code = code_from(authorize(browser, client_id, challenge))
    Grant.objects.filter(code=code).update(expires=timezone.now() - dt.timedelta(seconds=1))
    response = exchange(client_id, secret, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_of_another_client_is_refused(rp, admin_user, browser):
    _, client_id, _ = rp
    _, other_id, other_secret = make_client(admin_user, name="Other")
    verifier, challenge = pkce_pair()
    code = code_from(authorize(browser, client_id, challenge))
    response = exchange(other_id, other_secret, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
