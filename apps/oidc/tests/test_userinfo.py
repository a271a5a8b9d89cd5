"""The userinfo endpoint (apps.oidc.views.UserInfoView): RFC 6750 errors and claims per scope,
with one statement per call."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken

from apps.oidc.models import Application

pytestmark = pytest.mark.django_db


def issue(user, client, scope="openid profile email", *, expires_in=3600, resource=None) -> str:
    value = f"token-{scope}-{expires_in}-{resource}"
    AccessToken.objects.create(
        user=user,
        application=client,
        token_checksum=hashlib.sha256(value.encode()).hexdigest(),
        scope=scope,
        expires=timezone.now() + dt.timedelta(seconds=expires_in),
        resource=resource or [],
    )
    return value


@pytest.fixture
def client_row(rp):
    return Application.objects.get(client_id=rp[1])


def userinfo(token=None, method="get", **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(Client(), method)("/oauth/userinfo/", **headers, **extra)


def test_claims_of_the_tokens_scopes_in_one_statement(bob, client_row):
    token = issue(bob, client_row)
    with CaptureQueriesContext(connection) as queries:
        answer = userinfo(token)
    assert answer.status_code == 200
    body = answer.json()
    assert body["sub"] == str(bob.uuid) and body["email"] == "bob@example.com" and body["name"] == "Bob Builder"
    assert "phone_number" not in body and "groups" not in body
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_post_with_the_token_in_the_body(bob, client_row):
    token = issue(bob, client_row)
    assert Client().post("/oauth/userinfo/", {"access_token": token}).json()["sub"] == str(bob.uuid)


def test_no_token_unknown_token_and_expired_token_are_401(bob, client_row):
    for answer in (userinfo(), userinfo("nope"), userinfo(issue(bob, client_row, expires_in=-5))):
        assert answer.status_code == 401
        assert answer["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_a_token_in_the_query_string_is_refused(bob, client_row):
    answer = Client().get("/oauth/userinfo/", {"access_token": issue(bob, client_row)})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_a_token_without_openid_is_403(bob, client_row):
    answer = userinfo(issue(bob, client_row, scope="read"))
    assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"


def test_a_client_credentials_token_has_no_user_to_describe(client_row):
    assert userinfo(issue(None, client_row)).status_code == 401


def test_a_deactivated_users_token_is_refused(bob, client_row):
    token = issue(bob, client_row)
    type(bob).objects.filter(pk=bob.pk).update(is_active=False)  # bypasses the sign-out receiver
    assert userinfo(token).status_code == 401


def test_a_token_restricted_to_another_resource_is_refused(bob, client_row):
    assert userinfo(issue(bob, client_row, resource=["https://api.example.com/"])).status_code == 401
