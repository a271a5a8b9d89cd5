"""The token check's cached whole answers (apps.permissions.answers): a repeated check is served
from one cache read, and every change that could alter the answer is seen by the very next
check (no staleness window)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import QueryDict
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, digest
from apps.directory.actions.groups import move_group
from apps.directory.actions.memberships import add_members, remove_members
from apps.directory.tests.factories import create_test_group, create_test_user
from apps.permissions import answers
from apps.permissions import cache as perm_cache
from apps.permissions.actions.apps import create_app, delete_app, update_app
from apps.permissions.actions.perms import create_permission, delete_permission
from apps.permissions.actions.statuses import set_group_perm_statuses, set_user_perm_statuses
from apps.permissions.tests import test_check_api as check_api
from conftest import issue_test_token

pytestmark = pytest.mark.django_db

# The check API tests' fixtures: English messages, a clean cache, the app "wiki".
english_messages, fresh_cache, wiki, perm = (
    check_api.english_messages,
    check_api.fresh_cache,
    check_api.wiki,
    check_api.perm,
)

URL = "/siteapi/v1/auth/token/"
GRANT, DENY, INHERIT = 1, -1, 0
MANAGE = {"app_uid": "wiki", "perm_uid": "manage"}


class Checker:
    """A user's token and the check it makes, with a look at the cached answer."""

    def __init__(self, user):
        self.raw = issue_test_token(user)
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {self.raw}")

    def get(self, params=MANAGE):
        return self.client.get(URL, params)

    def cached(self, params=MANAGE) -> answers.Answer | None:
        query = QueryDict(mutable=True)
        query.update(params)
        return answers.for_token(digest(self.raw), query).answer

    def warm(self, params=MANAGE) -> int:
        """Settle the caches (as once the writes' stale marks have expired), check until the
        answer is served from the cache; the status it gives."""
        cache.clear()
        status = self.get(params).status_code
        assert self.cached(params) is not None
        assert self.get(params).status_code == status
        return status


@pytest.fixture
def alice(user):
    return Checker(user)


def test_a_warm_check_is_one_cache_read_and_no_query(alice, user, admin_user, wiki, django_assert_num_queries):
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert alice.warm() == 200
    reads = []
    real_get_many = cache.get_many

    def counting(keys, *args, **kwargs):
        reads.append(keys)
        return real_get_many(keys, *args, **kwargs)

    cache.get_many = counting
    try:
        with django_assert_num_queries(0):
            response = alice.get()
    finally:
        del cache.get_many
    assert response.status_code == 200
    assert response.json()["perms"] == ["manage"]
    assert len(reads) == 1


def test_one_answer_serves_every_perm_uid_of_the_app(alice, user, admin_user, wiki):
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert alice.warm() == 200
    assert alice.get({"app_uid": "wiki", "perm_uid": "access"}).status_code == 403
    assert alice.get({"app_uid": "wiki", "perm_uid": "app_wiki_manage"}).status_code == 200
    missing = alice.get({"app_uid": "wiki", "perm_uid": "nope"})
    assert missing.status_code == 404 and missing.json()["perm_uid"] == ["No such permission in this app."]
    # The body does not depend on perm_uid: the held permissions of the app.
    assert alice.get({"app_uid": "wiki", "perm_uid": "access"}).json()["perms"] == ["manage"]


def test_user_grant_and_deny_are_seen_at_once(alice, user, admin_user, wiki):
    assert alice.warm() == 403
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert alice.get().status_code == 200
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), DENY)], actor=admin_user)
    assert alice.get().status_code == 403
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), INHERIT)], actor=admin_user)
    assert alice.get().status_code == 403


def test_group_statuses_are_seen_at_once(alice, user, admin_user, wiki):
    top = create_test_group("Top")
    leaf = create_test_group("Leaf", parent=create_test_group("Mid", parent=top))
    add_members(leaf, [user], actor=admin_user)
    assert alice.warm() == 403
    set_group_perm_statuses(top, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert alice.get().status_code == 200
    assert alice.warm() == 200
    set_group_perm_statuses(leaf, [(perm("app_wiki_manage"), DENY)], actor=admin_user)
    assert alice.get().status_code == 403


def test_membership_changes_are_seen_at_once(alice, user, admin_user, wiki):
    granted = create_test_group("Granted")
    set_group_perm_statuses(granted, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert alice.warm() == 403
    add_members(granted, [user], actor=admin_user)
    assert alice.get().status_code == 200
    assert alice.warm() == 200
    remove_members(granted, [user], actor=admin_user)
    assert alice.get().status_code == 403


def test_a_group_move_is_seen_at_once(alice, user, admin_user, wiki):
    granted, elsewhere = create_test_group("Granted"), create_test_group("Elsewhere")
    team = create_test_group("Team", parent=elsewhere)
    add_members(team, [user], actor=admin_user)
    set_group_perm_statuses(granted, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    assert alice.warm() == 403
    move_group(team, granted, actor=admin_user)
    assert alice.get().status_code == 200
    assert alice.warm() == 200
    move_group(team, elsewhere, actor=admin_user)
    assert alice.get().status_code == 403


def test_user_changes_are_seen_at_once(alice, user, admin_user, wiki):
    assert alice.warm() == 403
    user.is_admin = True
    user.save()
    assert alice.get().status_code == 200
    assert alice.warm() == 200
    user.name = "Alice Renamed"
    user.save()
    assert alice.get().json()["name"] == "Alice Renamed"
    assert alice.warm() == 200
    user.is_active = False
    user.save()
    assert alice.get().status_code == 401


def test_a_forced_password_change_is_seen_at_once(alice, user, wiki):
    assert alice.warm() == 403
    user.must_reset_password = True
    user.save()
    response = alice.get()
    assert response.status_code == 403 and response.json()["code"] == "password_change_required"


def test_token_revocation_and_expiry_are_seen_at_once(alice, user, admin_user, wiki):
    from apps.accounts.actions.tokens import revoke_token

    assert alice.warm() == 403
    revoke_token(ApiToken.objects.get(user=user), actor=admin_user)
    assert alice.get().status_code == 401
    bob = Checker(create_test_user("bob"))
    assert bob.warm() == 403
    ApiToken.objects.filter(user__username="bob").delete()
    assert bob.get().status_code == 401


def test_app_changes_are_seen_at_once(alice, user, admin_user, wiki):
    access = {"app_uid": "wiki", "perm_uid": "access"}
    assert alice.warm(access) == 403
    update_app(wiki, actor=admin_user, fields={"allow_any_user": True})
    assert alice.get(access).status_code == 200
    assert alice.warm(access) == 200
    create_permission(actor=admin_user, app=wiki, name="Read", action="read")
    set_user_perm_statuses(user, [(perm("app_wiki_read"), GRANT)], actor=admin_user)
    assert alice.get(access).json()["perms"] == ["access", "read"]
    assert alice.warm(access) == 200
    delete_permission(perm("app_wiki_read"), actor=admin_user)
    assert alice.get(access).json()["perms"] == ["access"]
    assert alice.warm(access) == 200
    delete_app(wiki, actor=admin_user)
    assert alice.get(access).status_code == 404


def test_answers_are_per_token_and_per_app(alice, user, admin_user, wiki):
    create_app(actor=admin_user, name="Blog", uid="blog", protocols={"http_app": {}}, allow_any_user=True)
    bob_user = create_test_user("bob")
    set_user_perm_statuses(bob_user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    bob = Checker(bob_user)
    assert alice.warm() == 403
    assert bob.warm() == 200
    blog = {"app_uid": "blog", "perm_uid": "access"}
    assert alice.warm(blog) == 200
    assert alice.get().status_code == 403
    assert alice.get().json()["username"] == "alice" and bob.get().json()["username"] == "bob"


def test_an_answer_computed_before_a_concurrent_write_is_not_served(alice, user, admin_user, wiki):
    """A reader that read the epoch, then the data, while a write committed: what it stores
    carries the epoch the write retired."""
    assert alice.warm() == 403
    query = QueryDict(mutable=True)
    query.update(MANAGE)
    lookup = answers.for_token(digest(alice.raw), query)  # the reader's epoch ...
    set_user_perm_statuses(user, [(perm("app_wiki_manage"), GRANT)], actor=admin_user)
    old = lookup.answer
    answers.store(lookup, user_values=old.user_values, app_uid="wiki", results=old.results, body=old.body)
    assert alice.cached() is None  # ... is no longer current
    assert alice.get().status_code == 200


def test_a_lost_epoch_restarts_above_every_stored_one(alice, wiki):
    assert alice.warm() == 403
    stored = alice.cached().epoch
    cache.delete(perm_cache.EPOCH_KEY)  # evicted
    assert alice.cached() is None
    assert alice.get().status_code == 403
    assert alice.cached().epoch > stored


def test_nothing_is_cached_without_a_shared_cache(alice, wiki, settings):
    settings.SHARED_CACHE = False
    alice.get()
    alice.get()
    settings.SHARED_CACHE = True
    assert alice.cached() is None


def _bumped_key(callback) -> str | None:
    if "_incr" not in callback.__code__.co_names or not callback.__closure__:
        return None
    return callback.__closure__[0].cell_contents


def test_a_bulk_write_bumps_the_epoch_once_on_commit(admin_user):
    """A CSV import saves thousands of users in one transaction: one bump at commit, not one
    callback per row (the immediate bumps still happen row by row)."""
    from django.db import connection

    group = create_test_group("Bulk")
    users = [create_test_user(f"u{n}") for n in range(5)]
    for member in users:
        member.name = "Renamed"
        member.save()
    add_members(group, users, actor=admin_user)
    set_group_perm_statuses(group, [(perm("system_log_read"), GRANT)], actor=admin_user)
    pending = [_bumped_key(callback) for _sids, callback, _robust in connection.run_on_commit]
    assert pending.count(perm_cache.EPOCH_KEY) == 1
