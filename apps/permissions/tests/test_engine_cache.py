"""The engine's cached inputs (a user's groups, a permission's explicit statuses): the first
check after a change reads no table, and every change is still seen by the very next check."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.directory.actions import groups as group_actions
from apps.directory.actions import memberships
from apps.directory.tests.factories import create_test_group, create_test_user
from apps.permissions import cache as perm_cache
from apps.permissions import engine
from apps.permissions.actions.statuses import set_statuses
from apps.permissions.tests.perm_factories import make_app, make_perm

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def tree(admin_user):
    """top > mid > leaf, with a user in leaf; other, a separate top-level group."""
    top = create_test_group("Top")
    mid = create_test_group("Mid", parent=top)
    leaf = create_test_group("Leaf", parent=mid)
    other = create_test_group("Other")
    return {"top": top, "mid": mid, "leaf": leaf, "other": other}


@pytest.fixture
def member(tree, admin_user):
    user = create_test_user("member")
    memberships.add_members(tree["leaf"], [user], actor=admin_user)
    return user


@pytest.fixture
def perm():
    return make_perm(make_app("wiki"), "edit")


def test_the_first_check_after_a_top_level_grant_reads_no_table(
    tree, member, perm, admin_user, django_assert_num_queries
):
    assert engine.has_perm(member, perm) is False  # caches the user's groups and the statuses
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["top"], 1)])
    assert engine.has_perm(create_test_user("someone"), perm) is False  # reloads the statuses once
    with django_assert_num_queries(0):
        assert engine.has_perm(member, perm) is True


def test_a_permissions_statuses_are_loaded_once_for_every_user(tree, perm, admin_user, django_assert_num_queries):
    users = [create_test_user(f"u{n}") for n in range(3)]
    memberships.add_members(tree["mid"], users, actor=admin_user)
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["top"], 1)])
    with django_assert_num_queries(2):  # the statuses, the first user's groups
        assert engine.has_perm(users[0], perm) is True
    with django_assert_num_queries(1):  # only this user's groups
        assert engine.has_perm(users[1], perm) is True


@pytest.mark.parametrize("too_many", [False, True])
def test_every_change_is_seen_by_the_next_check(tree, member, perm, admin_user, monkeypatch, too_many):
    if too_many:  # the statuses are queried per check instead of cached whole
        monkeypatch.setattr(perm_cache, "STATUSES_CACHED_MAX", 0)
    assert engine.has_perm(member, perm) is False
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["top"], 1)])
    assert engine.has_perm(member, perm) is True
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["mid"], -1)])
    assert engine.has_perm(member, perm) is False
    set_statuses(perm, actor=admin_user, user_statuses=[(member, 1)])
    assert engine.has_perm(member, perm) is True
    set_statuses(perm, actor=admin_user, user_statuses=[(member, 0)])
    assert engine.has_perm(member, perm) is False
    group_actions.move_group(tree["leaf"], tree["top"], actor=admin_user)  # out from under the deny
    assert engine.has_perm(member, perm) is True
    memberships.remove_members(tree["leaf"], [member], actor=admin_user)
    assert engine.has_perm(member, perm) is False
    memberships.add_members(tree["other"], [member], actor=admin_user)
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["other"], 1)])
    assert engine.has_perm(member, perm) is True


def test_a_users_own_status_is_never_given_to_another_user(perm, admin_user):
    """Statuses are cached by user uuid: an id a database hands out again cannot inherit one."""
    first = create_test_user("first")
    set_statuses(perm, actor=admin_user, user_statuses=[(first, 1)])
    assert engine.has_perm(first, perm) is True
    second = create_test_user("second")
    assert engine.has_perm(second, perm) is False
    second.pk = first.pk  # as if the id had been reused
    assert engine.has_perm(second, perm) is False


def test_a_grant_stores_the_new_statuses_on_commit(
    tree, member, perm, admin_user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    assert engine.has_perm(member, perm) is False
    with django_capture_on_commit_callbacks(execute=True):
        set_statuses(perm, actor=admin_user, group_statuses=[(tree["top"], 1)])
    with django_assert_num_queries(0):  # not even the first check after the grant reads a table
        assert engine.has_perm(member, perm) is True


def test_deleting_a_group_retires_the_statuses_that_named_it(tree, member, perm, admin_user):
    gone = create_test_group("Gone")
    set_statuses(perm, actor=admin_user, group_statuses=[(gone, 1)])
    assert engine.has_perm(member, perm) is False  # caches the statuses, which name the group
    (before,), _tree = perm_cache.perm_versions([perm.pk])
    group_actions.delete_group(gone, actor=admin_user)
    (after,), _tree = perm_cache.perm_versions([perm.pk])
    assert after != before
    assert perm_cache.load_statuses(perm.pk) == ({}, {})
