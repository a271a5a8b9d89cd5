"""The visibility rule table: every policy x every kind of viewer (docs/directory.md)."""

from __future__ import annotations

import pytest

from apps.directory import visibility
from apps.directory.models import Visibility
from apps.directory.queries.groups import descendants
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.directory.visibility import NodeState

pytestmark = pytest.mark.django_db

VIEWERS = (
    "member",
    "member_of_descendant",
    "member_of_ancestor",
    "listed_user",
    "member_of_listed_group",
    "member_of_listed_groups_descendant",
    "outsider",
    "admin",
)

# policy -> the viewers who fully see the group
RULES = {
    Visibility.EVERYONE: set(VIEWERS),
    Visibility.MEMBERS: {"member", "admin"},
    Visibility.MEMBERS_AND_DESCENDANTS: {"member", "member_of_descendant", "admin"},
    Visibility.LISTED: {"listed_user", "member_of_listed_group", "member_of_listed_groups_descendant", "admin"},
    Visibility.NOBODY: {"admin"},
}


@pytest.fixture
def world():
    """ancestor > target > descendant; listed > listed_child; other. Only ``target`` is open to debate."""
    nobody = {"visibility": Visibility.NOBODY}
    ancestor = create_test_group("ancestor", **nobody)
    target = create_test_group("target", parent=ancestor)
    descendant = create_test_group("descendant", parent=target, **nobody)
    listed = create_test_group("listed", type_key="role", **nobody)
    listed_child = create_test_group("listed child", parent=listed, **nobody)
    other = create_test_group("other", **nobody)
    users = {name: create_test_user(name.replace("_", "")[:30], is_admin=name == "admin") for name in VIEWERS}
    add_member(target, users["member"])
    add_member(descendant, users["member_of_descendant"])
    add_member(ancestor, users["member_of_ancestor"])
    add_member(listed, users["member_of_listed_group"])
    add_member(listed_child, users["member_of_listed_groups_descendant"])
    add_member(other, users["outsider"])
    add_member(other, users["listed_user"])
    target.visible_users.add(users["listed_user"])
    target.visible_groups.add(listed)
    return {"target": target, "descendant": descendant, "ancestor": ancestor, "users": users}


@pytest.mark.parametrize("policy", list(RULES))
@pytest.mark.parametrize("viewer_name", VIEWERS)
def test_rule_table(world, policy, viewer_name):
    target = world["target"]
    target.visibility = policy
    target.save(update_fields=["visibility"])
    user = world["users"][viewer_name]
    viewer = visibility.viewer_for(user)
    expected = viewer_name in RULES[policy]
    assert (visibility.group_state(viewer, target) == NodeState.VISIBLE) is expected
    states = visibility.subtree_states(viewer, world["ancestor"], descendants(world["ancestor"], include_self=True))
    assert (states[target.pk] == NodeState.VISIBLE) is expected
    # The ancestor (policy 5) is named so the viewer can reach the target, and only then.
    if viewer_name != "admin":
        assert states[world["ancestor"].pk] == (NodeState.NAME_ONLY if expected else NodeState.HIDDEN)
        assert states[world["descendant"].pk] == NodeState.HIDDEN


def test_name_only_needs_a_visible_descendant(world):
    viewer = visibility.viewer_for(world["users"]["outsider"])
    target, descendant = world["target"], world["descendant"]
    target.visibility = Visibility.NOBODY
    target.save(update_fields=["visibility"])
    assert visibility.group_state(viewer, target) == NodeState.HIDDEN
    descendant.visibility = Visibility.EVERYONE
    descendant.save(update_fields=["visibility"])
    assert visibility.group_state(viewer, target) == NodeState.NAME_ONLY
    assert visibility.group_state(viewer, world["ancestor"]) == NodeState.NAME_ONLY
    assert visibility.group_state(viewer, descendant) == NodeState.VISIBLE


@pytest.mark.parametrize("policy", list(RULES))
def test_colleague_visible_through_a_visible_group(world, policy):
    target = world["target"]
    target.visibility = policy
    target.save(update_fields=["visibility"])
    member = world["users"]["member"]  # belongs to target only
    for viewer_name in VIEWERS:
        viewer = visibility.viewer_for(world["users"][viewer_name])
        expected = viewer_name in RULES[policy] or viewer_name == "member"  # everyone sees themself
        assert visibility.can_see_user(viewer, member) is expected, viewer_name
        assert (member in visibility.visible_users(viewer)) is expected, viewer_name
        shown = [g.pk for g in visibility.visible_groups_of(viewer, member)]
        assert shown == ([target.pk] if viewer_name in RULES[policy] else []), viewer_name


def test_user_without_groups_is_visible_to_admins_and_themself_only(world):
    loner = create_test_user("loner")
    assert visibility.can_see_user(visibility.viewer_for(loner), loner)
    assert visibility.can_see_user(visibility.viewer_for(world["users"]["admin"]), loner)
    assert not visibility.can_see_user(visibility.viewer_for(world["users"]["outsider"]), loner)


def test_query_count_does_not_grow_with_tree(world, django_assert_num_queries):
    parent = world["target"]
    for i in range(30):
        parent = create_test_group(f"deep{i}", parent=parent, visibility=Visibility.MEMBERS)
    for i in range(30):
        create_test_group(f"wide{i}", parent=world["ancestor"], visibility=Visibility.LISTED)
    user = world["users"]["member_of_listed_group"]
    with django_assert_num_queries(1):
        viewer = visibility.viewer_for(user)
    subtree = list(descendants(world["ancestor"], include_self=True))
    with django_assert_num_queries(1):
        states = visibility.subtree_states(viewer, world["ancestor"], subtree)
    assert len(states) == len(subtree) == 63
    with django_assert_num_queries(2):
        visibility.group_state(viewer, world["ancestor"])
