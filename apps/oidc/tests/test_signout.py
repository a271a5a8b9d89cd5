"""Single sign-out: logout, password change and deactivation revoke a user's OAuth tokens and
send back-channel logout tokens; plus the purge and key rotation housekeeping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from apps.audit.models import Action, Event
from apps.directory.actions.users import set_password, update_user
from apps.oidc import actions, keys
from apps.oidc.models import RedeemedCode, SigningKey
from apps.oidc.tests.conftest import make_client, pkce_pair
from apps.oidc.tests.test_flows import authorize, code_from, exchange

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(admin_user, bob, logout_receiver):
    """Bob holds tokens from an app with a back-channel logout URI."""
    uri, received = logout_receiver
    _, client_id, secret = make_client(admin_user, name="BCL", backchannel_logout_uri=uri)
    browser = Client()
    browser.force_login(bob)
    verifier, challenge = pkce_pair()
    code = code_from(authorize(browser, client_id, challenge))
    assert exchange(client_id, secret, code, verifier).status_code == 200
    return browser, received


def assert_signed_out(bob, received):
    assert not AccessToken.objects.filter(user=bob).exists()
    assert not RefreshToken.objects.filter(user=bob, revoked__isnull=True).exists()
    assert len(received) == 1
    assert "logout_token" in received[0]
    assert Event.objects.filter(action=Action.OAUTH_TOKENS_REVOKED, target_id=str(bob.pk)).exists()


def test_logout_signs_out_everywhere(signed_in, bob, eager_celery, django_capture_on_commit_callbacks):
    browser, received = signed_in
    with django_capture_on_commit_callbacks(execute=True):
        from django.contrib.auth import logout
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        request.session = browser.session
        request.user = bob
        logout(request)
    assert_signed_out(bob, received)


def test_password_change_signs_out(signed_in, bob, eager_celery, django_capture_on_commit_callbacks):
    _, received = signed_in
    with django_capture_on_commit_callbacks(execute=True):
        set_password(bob, "An0ther-passphrase!", actor=bob)
    assert_signed_out(bob, received)


def test_deactivation_signs_out(signed_in, bob, admin_user, eager_celery, django_capture_on_commit_callbacks):
    _, received = signed_in
    with django_capture_on_commit_callbacks(execute=True):
        update_user(bob, {"is_active": False}, actor=admin_user)
    assert_signed_out(bob, received)


def test_purge_removes_what_expired(rp, bob):
    _, client_id, _ = rp
    long_ago = timezone.now() - dt.timedelta(days=400)
    app = rp[0].oauth_client
    Grant.objects.create(
        application=app, user=bob, code="old", expires=long_ago, redirect_uri="https://x", scope="openid"
    )
    RedeemedCode.objects.create(code_digest="d" * 64, application=app, expires=long_ago)
    counts = actions.purge_expired()
    assert counts["redeemed_codes"] == 1
    assert not Grant.objects.filter(code="old").exists()
    assert Event.objects.filter(action=Action.OAUTH_PURGED).exists()


def test_rotation_keeps_old_keys_published_until_their_tokens_expire(db, settings):
    first = keys.active_key("RS256").kid
    call_command("rotate_oidc_keys", "--algorithm", "RS256", stdout=open("/dev/null", "w"))  # noqa: SIM115
    second = keys.active_key("RS256").kid
    assert second != first
    published = {k["kid"] for k in keys.jwks()["keys"]}
    assert {first, second} <= published
    SigningKey.objects.filter(kid=first).update(retired=timezone.now() - dt.timedelta(days=2))
    assert first not in {k["kid"] for k in keys.jwks()["keys"]}
    assert Event.objects.filter(action=Action.OAUTH_KEYS_ROTATED).exists()


def test_private_keys_are_encrypted_at_rest(db):
    kid = keys.active_key("ES256").kid
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT private_pem FROM oidc_signingkey WHERE kid = %s", [kid])
        raw = cursor.fetchone()[0]
    assert "PRIVATE KEY" not in raw
