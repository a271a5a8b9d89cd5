"""The token check asked by an app with its client credentials, served from the cached whole
answer (apps.permissions.answers): every change that could alter it, the app's OAuth client
included, is seen by the very next check."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client

from apps.oidc.tests.conftest import make_client
from apps.permissions import answers
from apps.permissions.actions.apps import update_app
from apps.permissions.actions.perms import create_permission
from apps.permissions.actions.statuses import set_user_perm_statuses
from apps.permissions.models import Permission

pytestmark = pytest.mark.django_db

CHECK = "/siteapi/oneid/auth/token/"
ASK = {"username": "bob", "perm_uid": "edit"}


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()


@pytest.fixture
def wiki(admin_user):
    app, client_id, secret = make_client(admin_user, name="Wiki", grant_types=["client_credentials"])
    create_permission(actor=admin_user, app=app, name="Edit", action="edit")
    return app, client_id, secret


def ask(client_id: str, secret: str, params=ASK):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().get(CHECK, params, HTTP_AUTHORIZATION=f"Basic {basic}")


def cached(client_id: str, secret: str, params=ASK) -> answers.Answer | None:
    query = QueryDict(mutable=True)
    query.update(params)
    return answers.for_app((client_id, secret), query).answer


def warm(client_id: str, secret: str, params=ASK) -> int:
    cache.clear()
    status = ask(client_id, secret, params).status_code
    assert cached(client_id, secret, params) is not None
    assert ask(client_id, secret, params).status_code == status
    return status


def test_a_warm_check_makes_no_query(wiki, bob, django_assert_num_queries):
    _, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    with django_assert_num_queries(0):
        response = ask(client_id, secret)
    assert response.status_code == 403
    assert response.json()["username"] == "bob" and response.json()["perms"] == ["access"]


def test_grants_and_user_changes_are_seen_at_once(wiki, bob, admin_user):
    _, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    set_user_perm_statuses(bob, [(Permission.objects.get(uid=f"app_{wiki[0].uid}_edit"), 1)], actor=admin_user)
    assert ask(client_id, secret).status_code == 200
    assert warm(client_id, secret) == 200
    bob.name = "Bob Renamed"
    bob.save()
    assert ask(client_id, secret).json()["name"] == "Bob Renamed"
    assert warm(client_id, secret) == 200
    bob.is_active = False
    bob.save()
    assert ask(client_id, secret).status_code == 404
    bob.is_active = True
    bob.save()
    assert warm(client_id, secret) == 200
    bob.delete()
    assert ask(client_id, secret).status_code == 404


def test_a_wrong_secret_is_never_answered_from_the_cache(wiki, bob):
    _, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    assert ask(client_id, secret + "x").status_code == 401
    assert cached(client_id, secret + "x") is None
    assert ask(client_id, secret + "x").status_code == 401


def test_a_rotated_secret_is_refused_at_once(wiki, bob, admin_user):
    app, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    oauth = {"grant_types": ["client_credentials"], "redirect_uris": [], "rotate_secret": True}
    _, shown = update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": oauth})
    new_secret = shown["oauth_app"]["client_secret"]
    assert ask(client_id, secret).status_code == 401
    assert ask(client_id, new_secret).status_code == 403


def test_a_removed_client_is_refused_at_once(wiki, bob, admin_user):
    app, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    update_app(app, actor=admin_user, fields={}, protocols={"oauth_app": None, "http_app": {}})
    assert ask(client_id, secret).status_code == 401


def test_asking_about_another_app_is_refused_even_after_a_cached_answer(wiki, bob, admin_user):
    _, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    other = {**ASK, "app_uid": "other"}
    assert ask(client_id, secret, other).status_code == 403
    assert ask(client_id, secret, other).json()["code"] == "other_app"


def test_a_warm_check_naming_the_oauth_client_id_makes_no_query(wiki, bob, django_assert_num_queries):
    from apps.accounts.actions.tokens import issue_token

    _, client_id, _secret = wiki
    key = issue_token(bob, actor=bob)
    params = {"oauth_client_id": client_id, "perm_uid": "access"}
    user = Client(HTTP_AUTHORIZATION=f"Token {key}")
    cache.clear()  # as once the writes' stale marks have expired
    assert user.get(CHECK, params).status_code == 200
    with django_assert_num_queries(0):
        response = user.get(CHECK, params)
    assert response.status_code == 200 and response.json()["perms"] == ["access"]
    assert user.get(CHECK, {**params, "perm_uid": "edit"}).status_code == 403


def test_an_apps_cached_answer_takes_the_fast_lane_with_the_full_stacks_response(wiki, bob, settings, monkeypatch):
    from apps.permissions.api import check

    _, client_id, secret = wiki
    assert warm(client_id, secret) == 403
    # Served before the view: a broken view does not matter.
    real_check = check._check
    monkeypatch.setattr(check, "_check", lambda request: (_ for _ in ()).throw(AssertionError("the view ran")))
    fast = ask(client_id, secret)
    monkeypatch.setattr(check, "_check", real_check)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("TokenCheckFastLane")]
    full = ask(client_id, secret)
    assert (fast.status_code, fast.content) == (full.status_code, full.content) == (403, full.content)
    assert {k: v for k, v in fast.headers.items() if k != "X-Request-ID"} == {
        k: v for k, v in full.headers.items() if k != "X-Request-ID"
    }
