"""Every token grant is audited (an authentication of the client and of the user it names),
and so is a refused client authentication, with the caller's IP."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.audit.models import Event
from apps.oidc.tests.conftest import make_client
from apps.oidc.tests.test_grants import password_grant

pytestmark = pytest.mark.django_db

GRANTS = ["client_credentials", "password", "refresh_token"]


def token_request(client_id: str, secret: str, **data):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {basic}", REMOTE_ADDR="203.0.113.9").post(
        "/oauth/token/", urlencode(data), "application/x-www-form-urlencoded"
    )


def test_client_credentials_grant_is_audited_with_the_client_as_actor(admin_user):
    app, client_id, secret = make_client(admin_user, name="Robot", grant_types=GRANTS)
    assert token_request(client_id, secret, grant_type="client_credentials").status_code == 200
    event = Event.objects.get(action="oauth.token_issued")
    assert event.actor is None and event.actor_name == client_id
    assert event.target_type == "oidc.application" and event.target_name == "Robot"
    assert event.detail["grant_type"] == "client_credentials" and event.detail["client_id"] == client_id
    assert event.ip == "203.0.113.9"


def test_password_and_refresh_grants_are_audited_with_the_user(admin_user, bob):
    _, client_id, secret = make_client(admin_user, name="CLI", grant_types=GRANTS)
    issued = password_grant(client_id, secret, "bob", "Passw0rd!x").json()
    refreshed = token_request(client_id, secret, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refreshed.status_code == 200
    events = Event.objects.filter(action="oauth.token_issued").order_by("id")
    assert [(e.actor, e.detail["grant_type"]) for e in events] == [(bob, "password"), (bob, "refresh_token")]
    assert all(e.detail["refresh_token"] for e in events)


def test_a_refused_grant_writes_no_issued_event(admin_user, bob):
    _, client_id, secret = make_client(admin_user, name="CLI", grant_types=GRANTS)
    assert password_grant(client_id, secret, "bob", "wrong").status_code == 400
    assert not Event.objects.filter(action="oauth.token_issued").exists()


def test_a_wrong_client_secret_is_audited_as_a_failure(admin_user):
    _, client_id, _ = make_client(admin_user, name="Robot", grant_types=GRANTS)
    refused = token_request(client_id, "not-the-secret", grant_type="client_credentials")
    assert refused.status_code == 401
    event = Event.objects.get(action="oauth.client_auth_failed")
    assert event.outcome == "failure" and event.detail["client_id"] == client_id
    assert event.ip == "203.0.113.9"
    assert not Event.objects.filter(action="oauth.token_issued").exists()


def test_a_secret_in_the_body_is_audited_by_its_client_id(admin_user):
    _, client_id, _ = make_client(admin_user, name="Robot", grant_types=GRANTS)
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "nope"}
    refused = Client().post("/oauth/token/", urlencode(body), "application/x-www-form-urlencoded")
    assert refused.status_code == 401
    assert Event.objects.get(action="oauth.client_auth_failed").detail["client_id"] == client_id
