"""Membership actions: add, remove, override, sort, move_out, set_user_groups."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.directory.actions.memberships import (
    add_members,
    move_out,
    override_members,
    remove_members,
    set_user_groups,
    sort_members,
)
from apps.directory.models import Membership
from apps.directory.queries.groups import members
from apps.directory.tests.factories import add_member, create_test_group, create_test_user, group_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return [create_test_user(name) for name in ("ann", "ben", "cat", "dan")]


def usernames(group):
    return [u.username for u in members(group)]


def test_add_appends_in_order_and_skips_existing(admin_user, people):
    ann, ben, cat, _ = people
    group = create_test_group("g")
    assert add_members(group, [ben, ann, ben], actor=admin_user) == [ben, ann]
    assert add_members(group, [ann, cat], actor=admin_user) == [cat]
    assert usernames(group) == ["ben", "ann", "cat"]
    assert add_members(group, [ann], actor=admin_user) == []
    events = list(Event.objects.filter(action=Action.MEMBERS_ADDED).order_by("id"))
    assert [e.detail["users"] for e in events] == [["ben", "ann"], ["cat"]]
    assert events[0].detail["node_uid"] == group.node_uid and events[0].actor == admin_user


def test_remove_only_audits_actual_members(admin_user, people):
    ann, ben, cat, _ = people
    group = create_test_group("g")
    add_members(group, [ann, ben], actor=admin_user)
    assert remove_members(group, [ann, cat, ann], actor=admin_user) == [ann]
    assert usernames(group) == ["ben"]
    assert remove_members(group, [cat], actor=admin_user) == []
    events = Event.objects.filter(action=Action.MEMBERS_REMOVED)
    assert [e.detail["users"] for e in events] == [["ann"]]


def test_override_replaces_and_orders(admin_user, people):
    ann, ben, cat, dan = people
    group = create_test_group("g")
    add_members(group, [ann, ben, cat], actor=admin_user)
    override_members(group, [dan, cat, ann], actor=admin_user)
    assert usernames(group) == ["dan", "cat", "ann"]
    assert Event.objects.get(action=Action.MEMBERS_REMOVED).detail["users"] == ["ben"]
    override_members(group, [], actor=admin_user)
    assert usernames(group) == []


def test_sort_puts_listed_first_even_when_members_sit_in_other_groups(admin_user, people):
    ann, ben, cat, dan = people
    group, other = create_test_group("g"), create_test_group("other")
    add_members(group, [ann, ben, cat, dan], actor=admin_user)
    # Memberships elsewhere, in a different order, must not leak into this group's ordering.
    add_members(other, [dan, cat, ben, ann], actor=admin_user)
    sort_members(group, [cat, create_test_user("outsider")], actor=admin_user)
    assert usernames(group) == ["cat", "ann", "ben", "dan"]
    assert usernames(other) == ["dan", "cat", "ben", "ann"]
    assert Event.objects.filter(action=Action.MEMBERS_SORTED).count() == 1


def test_move_out_moves_members_only(admin_user, people):
    ann, ben, cat, _ = people
    source, target_a, target_b = create_test_group("s"), create_test_group("a"), create_test_group("b")
    add_members(source, [ann, ben], actor=admin_user)
    moved = move_out(source, [ann, cat], [target_a, target_b], actor=admin_user)
    assert moved == [ann]
    assert usernames(source) == ["ben"]
    assert usernames(target_a) == ["ann"] and usernames(target_b) == ["ann"]


def test_move_out_to_the_same_group_keeps_membership(admin_user, people):
    ann = people[0]
    source, target = create_test_group("s"), create_test_group("t")
    add_members(source, [ann], actor=admin_user)
    move_out(source, [ann], [source, target], actor=admin_user)
    assert usernames(source) == [] and usernames(target) == ["ann"]


def test_set_user_groups_within_one_type(admin_user, people):
    ann = people[0]
    d1, d2, d3 = create_test_group("d1"), create_test_group("d2"), create_test_group("d3")
    role = create_test_group("r", type_key="role")
    add_member(d1, ann)
    add_member(d2, ann)
    add_member(role, ann)
    set_user_groups(ann, [d2, d3], actor=admin_user, group_type=group_type("department"))
    assert set(Membership.objects.filter(user=ann).values_list("group__name", flat=True)) == {"d2", "d3", "r"}
    set_user_groups(ann, [d3], actor=admin_user)
    assert list(Membership.objects.filter(user=ann).values_list("group__name", flat=True)) == ["d3"]


def test_members_filters(admin_user):
    group = create_test_group("g")
    zoe = create_test_user("zoe", name="Zoe Park", email="zoe@example.com", mobile="+8613800000001")
    yan = create_test_user("yan", name="Yan Li", email="yan@corp.example")
    add_members(group, [zoe, yan], actor=admin_user)
    from apps.directory.queries.groups import MemberFilters

    assert list(members(group, MemberFilters(name="park"))) == [zoe]
    assert list(members(group, MemberFilters(email="corp"))) == [yan]
    assert list(members(group, MemberFilters(mobile="13800000001"))) == [zoe]
    assert list(members(group, MemberFilters(username="ya"))) == [yan]
