"""End to end against a live server, with Authlib's OAuth 2.0 client as the relying party.

The browser is a requests session carrying a Django session cookie (the login page is
another subsystem's): it follows nothing, the redirect to the app is read from Location.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from apps.oidc import actions
from apps.oidc.tests.conftest import REDIRECT, make_client

SCOPE = "openid profile email phone groups"


@pytest.fixture
def base(live_server, settings):
    settings.BASE_URL = live_server.url
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": live_server.url}
    return live_server.url


@pytest.fixture
def browser(bob, base):
    django_client = Client()
    django_client.force_login(bob)
    session = requests.Session()
    session.cookies.set("sessionid", django_client.cookies["sessionid"].value)
    yield closing(session)


_open: list[requests.Session] = []


def closing(session):
    """Closed when the test ends: no keep-alive connection (and server thread) outlives it."""
    _open.append(session)
    return session


@pytest.fixture(autouse=True)
def _close_sessions():
    yield
    while _open:
        _open.pop().close()


def rp_session(client_id, secret, **kwargs) -> OAuth2Session:
    kwargs = {"scope": SCOPE, "redirect_uri": REDIRECT, "code_challenge_method": "S256", **kwargs}
    return closing(OAuth2Session(client_id, secret, **kwargs))


def sign_in(base, browser, client_id, secret):
    """The whole code + PKCE dance; the RP's session and its token."""
    rp = rp_session(client_id, secret)
    verifier = "v" * 50
    url, state = rp.create_authorization_url(f"{base}/oauth/authorize/", code_verifier=verifier, nonce="n-0S6")
    answer = browser.get(url, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    assert parse_qs(urlsplit(location).query)["iss"] == [base]  # RFC 9207, against mix-up attacks
    token = rp.fetch_token(f"{base}/oauth/token/", authorization_response=location, code_verifier=verifier)
    return rp, token


def decode(base, token):
    """The token checked against the provider's published JWKS (header and claims)."""
    jwks = requests.get(f"{base}/oauth/.well-known/jwks.json", timeout=10).json()
    return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])


def verify_id_token(base, id_token, client_id):
    token = decode(base, id_token)
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": base},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
    )
    registry.validate(token.claims)
    return token


def test_discovery_documents_use_the_configured_issuer(base):
    for path in ("/.well-known/openid-configuration", "/oauth/.well-known/openid-configuration"):
        doc = requests.get(base + path, timeout=10).json()
        assert doc["issuer"] == base
        assert doc["token_endpoint"] == f"{base}/oauth/token/"
        assert doc["jwks_uri"] == f"{base}/oauth/.well-known/jwks.json"
        assert set(doc["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["backchannel_logout_supported"] is True


def test_code_pkce_id_token_userinfo(base, browser, rp, bob):
    _, client_id, secret = rp
    session, token = sign_in(base, browser, client_id, secret)
    claims = verify_id_token(base, token["id_token"], client_id).claims
    assert claims["sub"] == str(bob.uuid)
    assert session.token["id_token"] == token["id_token"]
    assert claims["nonce"] == "n-0S6"
    info = session.get(f"{base}/oauth/userinfo/", timeout=10).json()
    assert info["sub"] == str(bob.uuid)
    assert info["preferred_username"] == "bob"
    assert info["name"] == "Bob Builder"
    assert info["email"] == "bob@example.com"
    assert info["phone_number"] == "+8618812345678"
    assert info["groups"] == [] and info["group_ids"] == []
    introspected = session.introspect_token(f"{base}/oauth/introspect/", token=token["access_token"]).json()
    assert introspected["active"] is True
    assert introspected["sub"] == claims["sub"]


def test_claims_follow_scopes(base, browser, rp):
    _, client_id, secret = rp
    session = closing(
        OAuth2Session(client_id, secret, scope="openid", redirect_uri=REDIRECT, code_challenge_method="S256")
    )
    url, _ = session.create_authorization_url(f"{base}/oauth/authorize/", code_verifier="w" * 50)
    location = browser.get(url, allow_redirects=False).headers["Location"]
    session.fetch_token(f"{base}/oauth/token/", authorization_response=location, code_verifier="w" * 50)
    info = session.get(f"{base}/oauth/userinfo/", timeout=10).json()
    assert set(info) == {"sub"}


def test_tampered_id_token_is_refused(base, browser, rp):
    _, client_id, secret = rp
    _, token = sign_in(base, browser, client_id, secret)
    header, payload, signature = token["id_token"].split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises((JoseError, ValueError)):
        verify_id_token(base, forged, client_id)


def test_refresh_rotates_and_reuse_revokes_the_family(base, browser, rp):
    _, client_id, secret = rp
    session, token = sign_in(base, browser, client_id, secret)
    first_refresh = token["refresh_token"]
    rotated = session.refresh_token(f"{base}/oauth/token/", refresh_token=first_refresh)
    assert rotated["refresh_token"] != first_refresh
    # The old refresh token comes back (stolen copy): refused, and the new one dies with it.
    replay = requests.post(
        f"{base}/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": first_refresh},
        auth=(client_id, secret),
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    again = requests.post(
        f"{base}/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        auth=(client_id, secret),
        timeout=10,
    )
    assert again.status_code == 400


def test_revoke_then_introspect_says_inactive(base, browser, rp):
    _, client_id, secret = rp
    session, token = sign_in(base, browser, client_id, secret)
    assert session.revoke_token(f"{base}/oauth/revoke_token/", token=token["access_token"]).status_code == 200
    introspected = session.introspect_token(f"{base}/oauth/introspect/", token=token["access_token"]).json()
    assert introspected == {"active": False}
    assert session.get(f"{base}/oauth/userinfo/", timeout=10).status_code == 401


def test_client_credentials(base, rp):
    _, client_id, secret = rp
    token = closing(OAuth2Session(client_id, secret)).fetch_token(
        f"{base}/oauth/token/", grant_type="client_credentials"
    )
    assert token["scope"] == "read"
    assert "refresh_token" not in token
    wrong = requests.post(
        f"{base}/oauth/token/", data={"grant_type": "client_credentials"}, auth=(client_id, "nope"), timeout=10
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_grant_not_allowed_for_the_app(base, admin_user):
    _, client_id, secret = make_client(admin_user, name="Code only")
    answer = requests.post(
        f"{base}/oauth/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unauthorized_client"


def test_user_without_access_gets_a_page_and_no_code(base, browser, admin_user):
    _, client_id, secret = make_client(admin_user, name="Payroll", allow_any_user=False)
    url, _ = rp_session(client_id, secret).create_authorization_url(f"{base}/oauth/authorize/", code_verifier="x" * 50)
    answer = browser.get(url, allow_redirects=False)
    assert answer.status_code == 403
    assert "do not have access to Payroll" in answer.text
    assert "code=" not in answer.headers.get("Location", "")


def test_redirect_uri_mismatch_is_an_error_page_never_a_redirect(base, browser, rp):
    _, client_id, secret = rp
    session = closing(OAuth2Session(client_id, secret, scope="openid", redirect_uri=REDIRECT + "/evil"))
    url, _ = session.create_authorization_url(f"{base}/oauth/authorize/", code_challenge="c" * 43)
    answer = browser.get(url, allow_redirects=False)
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_errors_are_redirected_with_state_per_rfc6749_4_1_2_1(base, browser, rp):
    _, client_id, secret = rp
    session = closing(OAuth2Session(client_id, secret, scope="openid nonsense", redirect_uri=REDIRECT))
    url, state = session.create_authorization_url(f"{base}/oauth/authorize/", code_challenge="c" * 43)
    answer = browser.get(url + "&code_challenge_method=S256", allow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["invalid_scope"]
    assert query["state"] == [state]


def test_code_replay_fails_and_revokes_the_tokens_it_issued(base, browser, rp):
    _, client_id, secret = rp
    rp_client = rp_session(client_id, secret)
    url, _ = rp_client.create_authorization_url(f"{base}/oauth/authorize/", code_verifier="y" * 50)
    location = browser.get(url, allow_redirects=False).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": "y" * 50}
    first = requests.post(f"{base}/oauth/token/", data=form, auth=(client_id, secret), timeout=10)
    assert first.status_code == 200
    replay = requests.post(f"{base}/oauth/token/", data=form, auth=(client_id, secret), timeout=10)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    access_token = first.json()["access_token"]
    introspected = requests.post(
        f"{base}/oauth/introspect/", data={"token": access_token}, auth=(client_id, secret), timeout=10
    ).json()
    assert introspected == {"active": False}
    refresh = requests.post(
        f"{base}/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
        auth=(client_id, secret),
        timeout=10,
    )
    assert refresh.status_code == 400


def test_wrong_pkce_verifier_is_refused(base, browser, rp):
    _, client_id, secret = rp
    rp_client = rp_session(client_id, secret)
    url, _ = rp_client.create_authorization_url(f"{base}/oauth/authorize/", code_verifier="z" * 50)
    location = browser.get(url, allow_redirects=False).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": "q" * 50}
    answer = requests.post(f"{base}/oauth/token/", data=form, auth=(client_id, secret), timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_public_client_must_use_pkce(base, browser, admin_user):
    _, client_id, _ = make_client(admin_user, name="SPA", client_type="public")
    session = closing(OAuth2Session(client_id, None, scope="openid", redirect_uri=REDIRECT))
    url, state = session.create_authorization_url(f"{base}/oauth/authorize/")
    answer = browser.get(url, allow_redirects=False)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    # With PKCE, a public client gets its tokens without a secret.
    public = closing(
        OAuth2Session(
            client_id,
            None,
            scope="openid",
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        )
    )
    url, _ = public.create_authorization_url(f"{base}/oauth/authorize/", code_verifier="p" * 50)
    location = browser.get(url, allow_redirects=False).headers["Location"]
    token = public.fetch_token(f"{base}/oauth/token/", authorization_response=location, code_verifier="p" * 50)
    verify_id_token(base, token["id_token"], client_id)


def test_es256_app_and_key_rotation(base, browser, admin_user):
    _, client_id, secret = make_client(admin_user, name="EC app", algorithm="ES256")
    _, token = sign_in(base, browser, client_id, secret)
    header = decode(base, token["id_token"]).header
    assert header["alg"] == "ES256"
    old_kid = header["kid"]
    actions.rotate_keys()
    jwks = requests.get(f"{base}/oauth/.well-known/jwks.json", timeout=10).json()
    kids = [k["kid"] for k in jwks["keys"]]
    assert old_kid in kids  # the old token still verifies until it expires
    verify_id_token(base, token["id_token"], client_id)
    _, fresh = sign_in(base, browser, client_id, secret)
    new_header = verify_id_token(base, fresh["id_token"], client_id).header
    assert new_header["kid"] != old_kid and new_header["kid"] in kids


def test_end_session_revokes_tokens_and_sends_backchannel_logout(
    base, browser, admin_user, bob, logout_receiver, eager_celery
):
    uri, received = logout_receiver
    _, client_id, secret = make_client(
        admin_user, name="BCL", backchannel_logout_uri=uri, post_logout_redirect_uris=["https://rp.example.com/bye"]
    )
    session, token = sign_in(base, browser, client_id, secret)
    # RP-initiated logout: the confirmation form, then "yes".
    params = {"id_token_hint": token["id_token"], "post_logout_redirect_uri": "https://rp.example.com/bye"}
    page = browser.get(f"{base}/oauth/logout/", params=params, timeout=10)
    assert page.status_code == 200, page.text[:300]
    csrf = browser.cookies["csrftoken"]
    form = {**params, "csrfmiddlewaretoken": csrf, "allow": "Logout", "client_id": client_id}
    done = browser.post(f"{base}/oauth/logout/", data=form, allow_redirects=False, headers={"Referer": base})
    assert done.status_code == 302, done.text[:300]
    assert done.headers["Location"].startswith("https://rp.example.com/bye")
    assert session.get(f"{base}/oauth/userinfo/", timeout=10).status_code == 401
    assert len(received) == 1
    logout_token = received[0]["logout_token"][0]
    claims = decode(base, logout_token).claims
    assert claims["sub"] == str(bob.uuid)
    assert claims["aud"] == client_id
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
    assert "nonce" not in claims


def test_a_client_cannot_introspect_another_clients_token(base, browser, rp, admin_user):
    _, client_id, secret = rp
    _, token = sign_in(base, browser, client_id, secret)
    _, other_id, other_secret = make_client(admin_user, name="Nosy", grant_types=["client_credentials"])
    answer = requests.post(
        f"{base}/oauth/introspect/", data={"token": token["access_token"]}, auth=(other_id, other_secret), timeout=10
    )
    assert answer.json() == {"active": False}
    unauthenticated = requests.post(f"{base}/oauth/introspect/", data={"token": token["access_token"]}, timeout=10)
    assert unauthenticated.status_code in (401, 403)
