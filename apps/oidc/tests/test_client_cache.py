"""The client cache (apps.oidc.clients): a change to a client is seen by the very next token
request, never after the cache's lifetime."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from apps.oidc import clients
from apps.oidc.models import RedeemedCode
from apps.oidc.tests.conftest import REDIRECT, make_client
from apps.permissions.actions.apps import delete_app, update_app

pytestmark = pytest.mark.django_db

GRANTS = ["authorization_code", "refresh_token", "client_credentials"]


def client_credentials(client_id: str, secret: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {basic}").post(
        "/oauth/token/", urlencode({"grant_type": "client_credentials"}), "application/x-www-form-urlencoded"
    )


def warm(client_id: str, secret: str) -> None:
    """One successful grant with the cache filled (a client just saved is not cached for a
    few seconds: the tombstone is dropped here instead of waiting)."""
    cache.delete(clients._key(client_id))
    assert client_credentials(client_id, secret).status_code == 200
    assert isinstance(cache.get(clients._key(client_id)), tuple), "the client should be cached now"


@pytest.fixture
def cached_rp(admin_user):
    app, client_id, secret = make_client(admin_user, grant_types=GRANTS)
    warm(client_id, secret)
    return app, client_id, secret


def test_a_cached_client_is_the_stored_row(cached_rp):
    _, client_id, _ = cached_rp
    cached = clients.by_client_id(client_id)
    from apps.oidc.models import Application

    stored = Application.objects.get(client_id=client_id)
    names = [f.attname for f in Application._meta.concrete_fields]
    assert [getattr(cached, n) for n in names] == [getattr(stored, n) for n in names]
    assert cached._state.adding is False


def test_a_rotated_secret_is_refused_at_once(cached_rp, admin_user):
    app, client_id, old_secret = cached_rp
    oauth = {"redirect_uris": [REDIRECT], "grant_types": GRANTS, "rotate_secret": True}
    _, shown = update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": oauth})
    new_secret = shown["oauth_app"]["client_secret"]
    refused = client_credentials(client_id, old_secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert client_credentials(client_id, new_secret).status_code == 200


def test_a_removed_grant_type_is_refused_at_once(cached_rp, admin_user):
    app, client_id, secret = cached_rp
    oauth = {"redirect_uris": [REDIRECT], "grant_types": ["authorization_code"]}
    update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": oauth})
    refused = client_credentials(client_id, secret)
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"


def test_a_removed_redirect_uri_is_refused_at_once(cached_rp, admin_user, bob):
    app, client_id, _ = cached_rp
    other = "https://rp.example.com/other"
    update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": {"redirect_uris": [other]}})
    assert clients.by_client_id(client_id).redirect_uris == other
    browser = Client()
    browser.force_login(bob)
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid"}
    answer = browser.get("/oauth/authorize/", params)
    assert answer.status_code == 400  # an error page, never a redirect to the old URI
    assert "Location" not in answer


def test_a_deleted_client_is_unknown_at_once(cached_rp, admin_user):
    app, client_id, secret = cached_rp
    delete_app(app, actor=admin_user)
    assert clients.by_client_id(client_id) is None
    assert client_credentials(client_id, secret).status_code == 401


def test_removing_the_protocol_forgets_the_client(cached_rp, admin_user):
    app, client_id, secret = cached_rp
    update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": None})
    assert client_credentials(client_id, secret).status_code == 401


def test_without_a_shared_cache_nothing_is_cached(admin_user, settings):
    settings.SHARED_CACHE = False
    _, client_id, secret = make_client(admin_user, grant_types=GRANTS)
    cache.delete(clients._key(client_id))
    assert client_credentials(client_id, secret).status_code == 200
    assert cache.get(clients._key(client_id)) is None


def test_ids_no_client_can_have_are_not_looked_up(django_assert_num_queries):
    with django_assert_num_queries(0):
        for odd in ["", "a\x00b", "x" * 101, None, 7]:
            assert clients.by_client_id(odd) is None


@pytest.mark.parametrize("model", [AccessToken, RefreshToken, IDToken, Grant, RedeemedCode])
def test_nobody_listens_to_token_rows(model):
    """apps.oidc.storage writes (and, for grants, deletes) these rows without the model
    signals; that is only right while nothing listens to them."""
    for signal in (pre_save, post_save, pre_delete, post_delete):
        assert not signal.has_listeners(model), f"{signal} has a receiver for {model.__name__}"
