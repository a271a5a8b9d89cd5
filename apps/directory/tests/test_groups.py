"""Group actions: create, update and delete, with every refusal and the audit trail."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.core.exceptions import Conflict, DomainError
from apps.directory.actions.groups import create_group, delete_group, update_group
from apps.directory.models import Group, Visibility
from apps.directory.tests.factories import add_member, create_test_group, create_test_user, group_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return group_type("department").root


def test_create_sets_path_depth_and_appends_order(admin_user, root):
    first = create_group(actor=admin_user, parent=root, name="Sales", uid="sales")
    second = create_group(actor=admin_user, parent=root, name="Support", uid="support")
    child = create_group(actor=admin_user, parent=first, name="North", uid="north")
    assert first.path == f"{root.path}{first.pk}/" and first.depth == 1
    assert child.path == f"{root.path}{first.pk}/{child.pk}/" and child.depth == 2
    assert (first.order, second.order, child.order) == (0, 1, 0)
    assert child.type_id == root.type_id and child.node_uid == "d_north"
    event = Event.objects.filter(action=Action.GROUP_CREATED).first()
    assert event.detail == {"node_uid": "d_north", "parent": "d_sales"}
    assert event.changes["name"] == [None, "North"]


def test_create_with_explicit_order_and_fields(admin_user, root):
    group = create_group(
        actor=admin_user, parent=root, name="Ops", uid="ops", remark="night", visibility=Visibility.NOBODY, order=7
    )
    group.refresh_from_db()
    assert (group.order, group.remark, group.visibility) == (7, "night", Visibility.NOBODY)


def test_create_generates_uid(admin_user, root):
    assert create_group(actor=admin_user, parent=root, name="Human Resources").uid == "human-resources"
    again = create_group(actor=admin_user, parent=root, name="Human Resources").uid
    assert again.startswith("human-resources-")
    chinese = create_group(actor=admin_user, parent=root, name="研发部").uid
    assert chinese.startswith("g") and len(chinese) == 7


def test_create_refusals(admin_user, root):
    create_test_group(uid="taken")
    with pytest.raises(Conflict) as err:
        create_group(actor=admin_user, parent=root, name="X", uid="taken")
    assert err.value.field == "uid"
    with pytest.raises(Conflict):
        create_group(actor=admin_user, parent=root, name="X", uid="role")  # the role tree's root
    with pytest.raises(DomainError) as err:
        create_group(actor=admin_user, parent=root, name="X", uid="has space")
    assert err.value.field == "uid"
    with pytest.raises(DomainError) as err:
        create_group(actor=admin_user, parent=root, name=" ")
    assert err.value.field == "name"
    with pytest.raises(DomainError) as err:
        create_group(actor=admin_user, parent=root, name="X", visibility=9)
    assert err.value.field == "visibility"
    assert not Event.objects.filter(action=Action.GROUP_CREATED).exists()


def test_update_fields_and_scopes_with_diff_audit(admin_user, root):
    group = create_test_group("Sales", uid="sales")
    listed = create_test_group("Board", uid="board", type_key="role")
    bob = create_test_user("bob")
    update_group(
        group,
        {
            "name": "Sales EU",
            "remark": "Europe",
            "visibility": Visibility.LISTED,
            "node_scope": ["g_board"],
            "user_scope": ["BOB"],
        },
        actor=admin_user,
    )
    group.refresh_from_db()
    assert (group.name, group.remark, group.visibility) == ("Sales EU", "Europe", Visibility.LISTED)
    assert list(group.visible_groups.all()) == [listed]
    assert list(group.visible_users.all()) == [bob]
    event = Event.objects.get(action=Action.GROUP_UPDATED)
    assert event.changes == {
        "name": ["Sales", "Sales EU"],
        "remark": ["", "Europe"],
        "visibility": [1, 4],
        "node_scope": [[], ["g_board"]],
        "user_scope": [[], ["bob"]],
    }


def test_update_without_change_is_not_audited(admin_user):
    group = create_test_group("Sales")
    update_group(group, {"name": "Sales"}, actor=admin_user)
    assert not Event.objects.filter(action=Action.GROUP_UPDATED).exists()


def test_update_refusals(admin_user, root):
    group = create_test_group("Sales")
    with pytest.raises(DomainError) as err:
        update_group(group, {"node_scope": ["d_nope", "x_bad"]}, actor=admin_user)
    assert err.value.field == "node_scope" and "d_nope" in err.value.message and "x_bad" in err.value.message
    with pytest.raises(DomainError) as err:
        update_group(group, {"user_scope": ["ghost"]}, actor=admin_user)
    assert err.value.field == "user_scope" and "ghost" in err.value.message
    with pytest.raises(DomainError) as err:
        update_group(group, {"uid": "new"}, actor=admin_user)
    with pytest.raises(DomainError) as err:
        update_group(root, {"name": "Company"}, actor=admin_user)
    assert err.value.field == "name"
    # The root's other fields stay editable.
    update_group(root, {"visibility": Visibility.MEMBERS}, actor=admin_user)
    root.refresh_from_db()
    assert root.visibility == Visibility.MEMBERS


def test_delete_empty_group(admin_user):
    group = create_test_group("Temp", uid="temp")
    delete_group(group, actor=admin_user)
    assert not Group.objects.filter(uid="temp").exists()
    event = Event.objects.get(action=Action.GROUP_DELETED)
    assert event.detail["node_uid"] == "d_temp" and event.changes["name"] == ["Temp", None]


def test_delete_refusals(admin_user, root):
    parent = create_test_group("Parent")
    create_test_group("Child", parent=parent)
    with pytest.raises(DomainError) as err:
        delete_group(parent, actor=admin_user)
    assert err.value.code == "has_children"
    member_group = create_test_group("Staffed")
    add_member(member_group, create_test_user())
    with pytest.raises(DomainError) as err:
        delete_group(member_group, actor=admin_user)
    assert err.value.code == "has_members"
    with pytest.raises(DomainError) as err:
        delete_group(root, actor=admin_user)
    assert err.value.code == "root"
    assert not Event.objects.filter(action=Action.GROUP_DELETED).exists()


def test_delete_clears_references_in_visibility_lists(admin_user):
    target = create_test_group("Target")
    watcher = create_test_group("Watcher", visibility=Visibility.LISTED)
    watcher.visible_groups.add(target)
    delete_group(target, actor=admin_user)
    assert watcher.visible_groups.count() == 0
