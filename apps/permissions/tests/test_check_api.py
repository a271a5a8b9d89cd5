"""GET auth/token/: the check third-party apps make with a user's token (v1's HTTP protocol)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.directory.actions.memberships import add_members, remove_members
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions import client_apps
from apps.permissions.actions.apps import create_app, update_app
from apps.permissions.actions.perms import create_permission
from apps.permissions.actions.statuses import set_group_perm_statuses, set_user_perm_statuses
from apps.permissions.models import Permission
from conftest import issue_test_token

pytestmark = pytest.mark.django_db

URL = "/siteapi/v1/auth/token/"
GRANT, DENY, INHERIT = 1, -1, 0


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def fresh_cache():
    # Test databases reuse ids after a rollback; cached results must not leak between tests.
    cache.clear()


@pytest.fixture
def wiki(admin_user):
    app, _ = create_app(actor=admin_user, name="Wiki", uid="wiki", protocols={"http_app": {}})
    create_permission(actor=admin_user, app=app, name="Manage", action="manage")
    return app


def perm(uid: str) -> Permission:
    return Permission.objects.select_related("app").get(uid=uid)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_test_token(user)}")
    return client


def test_without_perm_uid_the_token_owner_is_described(user_client, user):
    response = user_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "alice" and body["user_id"] == user.pk and body["uuid"] == str(user.uuid)
    for key in ("name", "email", "mobile", "employee_number", "gender", "avatar", "private_email", "position"):
        assert key in body
    assert body["perms"] == []
    assert "token" not in body


@pytest.mark.parametrize("header", [None, "Token nope", "Token " + "0" * 40, "Bearer x"])
def test_missing_or_bad_tokens_are_401(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_expired_revoked_and_inactive_are_401(user, user_client):
    token = ApiToken.objects.get(user=user)
    token.expires = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    assert user_client.get(URL).status_code == 401
    other = create_test_user("bob")
    bob = client_for(other)
    other.is_active = False
    other.save()
    assert bob.get(URL).status_code == 401


def test_session_cookies_are_not_accepted(user):
    client = APIClient()
    client.force_login(user)
    assert client.get(URL).status_code == 401


def test_deny_is_403_with_the_same_body(user_client, wiki):
    response = user_client.get(URL, {"perm_uid": "app_wiki_access"})
    assert response.status_code == 403
    assert response.json()["username"] == "alice" and response.json()["perms"] == []


def test_user_grant_allows_and_perms_are_filtered_and_stripped(user_client, user, admin_user, wiki):
    other, _ = create_app(actor=admin_user, name="Mail", uid="mail", protocols={})
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT), (perm("app_mail_access"), GRANT)], actor=admin_user)

    checked = user_client.get(URL, {"perm_uid": "app_wiki_manage", "app_uid": "wiki"})
    assert checked.status_code == 200
    assert checked.json()["perms"] == ["manage"]
    # The perm may be named relative to the app too.
    assert user_client.get(URL, {"perm_uid": "manage", "app_uid": "wiki"}).status_code == 200
    assert user_client.get(URL, {"perm_uid": "access", "app_uid": "wiki"}).status_code == 403
    # Without app_uid every held perm is listed with its full uid.
    assert user_client.get(URL).json()["perms"] == ["app_mail_access", "app_wiki_manage"]
    assert user_client.get(URL, {"perm_uid": "app_mail_access"}).status_code == 200
    assert other.uid == "mail"


def test_allow_any_user_grants_access_unless_denied(user_client, user, admin_user, wiki):
    update_app(wiki, actor=admin_user, fields={"allow_any_user": True})
    response = user_client.get(URL, {"perm_uid": "access", "app_uid": "wiki"})
    assert response.status_code == 200
    assert response.json()["perms"] == ["access"]
    set_user_perm_statuses(user, [(perm("app_wiki_access"), DENY)], actor=admin_user)
    assert user_client.get(URL, {"perm_uid": "access", "app_uid": "wiki"}).status_code == 403


def test_group_grants_reach_members_of_subgroups_and_user_deny_wins(admin_user, wiki):
    sales = create_test_group("Sales")
    east = create_test_group("East", parent=sales)
    bob = create_test_user("bob")
    add_member(east, bob)
    bob_client = client_for(bob)
    params = {"perm_uid": "app_wiki_access", "app_uid": "wiki"}
    assert bob_client.get(URL, params).status_code == 403

    set_group_perm_statuses(sales, [(perm("app_wiki_access"), GRANT)], actor=admin_user)
    response = bob_client.get(URL, params)
    assert response.status_code == 200 and response.json()["perms"] == ["access"]

    set_group_perm_statuses(east, [(perm("app_wiki_access"), DENY)], actor=admin_user)
    assert bob_client.get(URL, params).status_code == 403
    set_group_perm_statuses(east, [(perm("app_wiki_access"), INHERIT)], actor=admin_user)
    assert bob_client.get(URL, params).status_code == 200

    set_user_perm_statuses(bob, [(perm("app_wiki_access"), DENY)], actor=admin_user)
    assert bob_client.get(URL, params).status_code == 403


def test_membership_changes_are_seen_by_the_next_check(admin_user, wiki):
    sales = create_test_group("Sales")
    set_group_perm_statuses(sales, [(perm("app_wiki_access"), GRANT)], actor=admin_user)
    bob = create_test_user("bob")
    bob_client = client_for(bob)
    params = {"perm_uid": "access", "app_uid": "wiki"}
    assert bob_client.get(URL, params).status_code == 403  # now cached
    add_members(sales, [bob], actor=admin_user)
    assert bob_client.get(URL, params).status_code == 200
    remove_members(sales, [bob], actor=admin_user)
    assert bob_client.get(URL, params).status_code == 403


def test_admins_hold_everything(admin_client, wiki):
    response = admin_client.get(URL, {"perm_uid": "manage", "app_uid": "wiki"})
    assert response.status_code == 200
    assert response.json()["perms"] == ["access", "manage"]
    assert "system_oneid_all" in admin_client.get(URL).json()["perms"]


def test_unknown_app_or_perm_is_404_with_the_field(user_client, wiki):
    response = user_client.get(URL, {"app_uid": "nope"})
    assert response.status_code == 404
    assert response.json() == {"app_uid": ["No such app."], "code": "not_found"}
    response = user_client.get(URL, {"perm_uid": "app_nope_access"})
    assert response.status_code == 404 and "perm_uid" in response.json()
    response = user_client.get(URL, {"perm_uid": "nope", "app_uid": "wiki"})
    assert response.status_code == 404 and "perm_uid" in response.json()


def test_oauth_client_id_without_a_resolver_or_match_is_a_404(user_client):
    response = user_client.get(URL, {"oauth_client_id": "abc"})
    assert response.status_code == 404
    assert response.json() == {"oauth_client_id": ["No app has this OAuth client id."], "code": "not_found"}


def test_oauth_client_id_is_resolved_through_the_registered_hook(user_client, user, wiki, admin_user):
    def resolver(client_id: str) -> str | None:
        return "wiki" if client_id == "wiki-client" else None

    client_apps.register_client_app_resolver(resolver)
    try:
        set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
        response = user_client.get(URL, {"oauth_client_id": "wiki-client", "perm_uid": "manage"})
        assert response.status_code == 200 and response.json()["perms"] == ["manage"]
        assert user_client.get(URL, {"oauth_client_id": "other"}).status_code == 404
    finally:
        client_apps.unregister_client_app_resolver(resolver)


def test_both_prefixes(user_client):
    assert user_client.get("/siteapi/oneid/auth/token/").status_code == 200


def test_a_repeated_check_makes_few_queries(user, user_client, admin_user, wiki, django_assert_max_num_queries):
    set_user_perm_statuses(user, [(perm("app_wiki_access"), GRANT)], actor=admin_user)
    params = {"perm_uid": "access", "app_uid": "wiki"}
    user_client.get(URL, params)  # warms the engine's cache
    # The token, then the app with its permissions; the results come from the engine's cache.
    with django_assert_max_num_queries(2):
        assert user_client.get(URL, params).status_code == 200


def test_a_user_held_at_the_forced_password_change_is_refused(user, user_client):
    user.must_reset_password = True
    user.save()
    response = user_client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


# The cached paths: the token's user and the app's permission list are cached; every write
# that could change the answer must be seen by the very next check.


def test_a_warm_check_makes_no_query(user, user_client, admin_user, wiki, django_assert_num_queries):
    set_user_perm_statuses(user, [(perm("app_wiki_access"), GRANT)], actor=admin_user)
    params = {"perm_uid": "access", "app_uid": "wiki"}
    cache.clear()  # as once the writes' stale marks have expired (a few seconds)
    user_client.get(URL, params)
    with django_assert_num_queries(0):
        assert user_client.get(URL, params).status_code == 200


def test_a_revoked_token_is_refused_at_once_after_a_cached_check(user, admin_user, wiki):
    from apps.accounts.actions.tokens import revoke_all_tokens, revoke_token

    client = client_for(user)
    assert client.get(URL, {"app_uid": "wiki"}).status_code == 200  # now cached
    revoke_token(ApiToken.objects.get(user=user), actor=admin_user)
    assert client.get(URL, {"app_uid": "wiki"}).status_code == 401
    again = client_for(user)
    assert again.get(URL).status_code == 200
    revoke_all_tokens(user, actor=admin_user, reason="test")
    assert again.get(URL).status_code == 401


def test_cached_checks_see_deactivation_password_and_admin_changes(user, admin_user, wiki):
    client = client_for(user)
    assert client.get(URL, {"perm_uid": "manage", "app_uid": "wiki"}).status_code == 403
    user.is_admin = True
    user.save()
    assert client.get(URL, {"perm_uid": "manage", "app_uid": "wiki"}).status_code == 200
    user.name = "Alice Renamed"
    user.save()
    assert client.get(URL).json()["name"] == "Alice Renamed"
    user.is_active = False
    user.save()
    assert client.get(URL).status_code == 401
    bob = create_test_user("bob")
    bob_client = client_for(bob)
    assert bob_client.get(URL).status_code == 200
    bob.set_password("a new Passw0rd!")
    bob.must_reset_password = True
    bob.save()
    assert bob_client.get(URL).status_code == 403


def test_cached_checks_see_an_expired_or_deleted_token_and_user(user, admin_user):
    client = client_for(user)
    assert client.get(URL).status_code == 200
    token = ApiToken.objects.get(user=user)
    token.expires = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    assert client.get(URL).status_code == 401
    bob = create_test_user("bob")
    bob_client = client_for(bob)
    assert bob_client.get(URL).status_code == 200
    bob.delete()
    assert bob_client.get(URL).status_code == 401


def test_cached_app_perms_follow_perm_and_app_changes(user, user_client, admin_user, wiki):
    from apps.permissions.actions.apps import delete_app
    from apps.permissions.actions.perms import delete_permission

    set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert user_client.get(URL, {"app_uid": "wiki"}).json()["perms"] == ["manage"]
    create_permission(actor=admin_user, app=wiki, name="Read", action="read")
    set_user_perm_statuses(user, [(perm("app_wiki_read"), GRANT)], actor=admin_user)
    assert user_client.get(URL, {"app_uid": "wiki"}).json()["perms"] == ["manage", "read"]
    delete_permission(perm("app_wiki_manage"), actor=admin_user)
    assert user_client.get(URL, {"app_uid": "wiki"}).json()["perms"] == ["read"]
    update_app(wiki, actor=admin_user, fields={"allow_any_user": True})
    assert user_client.get(URL, {"app_uid": "wiki"}).json()["perms"] == ["access", "read"]
    delete_app(wiki, actor=admin_user)
    assert user_client.get(URL, {"app_uid": "wiki"}).status_code == 404


def test_other_methods_still_go_through_drf(user_client):
    response = user_client.post(URL)
    assert response.status_code == 405
    assert user_client.options(URL).status_code == 200


def test_without_a_shared_cache_every_check_reads_the_database(settings):
    """A per-process cache cannot see another web worker's revocation or grant: off."""
    from apps.accounts import token_cache
    from apps.permissions import cache as perm_cache

    settings.SHARED_CACHE = False
    assert token_cache.load("any-digest") == (None, False)
    assert perm_cache.get("perm:r:any") is None
    perm_cache.put("perm:r:any", True)
    settings.SHARED_CACHE = True
    assert perm_cache.get("perm:r:any") is None  # nothing was stored while off
