"""The status and custom-permission actions: sparse rows, audit events, validation."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.core.exceptions import Conflict, DomainError
from apps.directory.tests.factories import create_test_group, create_test_user
from apps.permissions.actions import perms as perm_actions
from apps.permissions.actions.statuses import set_group_perm_statuses, set_statuses, set_user_perm_statuses
from apps.permissions.models import Permission, PermissionStatus
from apps.permissions.tests.perm_factories import access_perm, make_app, make_perm

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    return make_app("wiki")


def test_system_perms_are_seeded():
    uids = set(Permission.objects.filter(kind=Permission.Kind.SYSTEM).values_list("uid", flat=True))
    assert {"system_oneid_all", "system_user_create", "system_app_create", "system_account_sync"} <= uids


def test_statuses_are_sparse_and_zero_deletes(app, user, admin_user):
    perm = access_perm(app)
    group = create_test_group("Ops", uid="ops")
    assert PermissionStatus.objects.count() == 0  # nothing pre-created for anybody
    changes = set_statuses(perm, actor=admin_user, user_statuses=[(user, 1)], group_statuses=[(group, -1)])
    assert changes == {"alice": [0, 1], "d_ops": [0, -1]}
    assert PermissionStatus.objects.count() == 2
    set_statuses(perm, actor=admin_user, user_statuses=[(user, 0)])
    assert list(PermissionStatus.objects.values_list("group__uid", "status")) == [("ops", -1)]
    event = Event.objects.filter(action=Action.PERMISSION_STATUSES_CHANGED).first()
    assert event.target_name == perm.uid and event.changes == {"alice": [1, 0]} and event.actor == admin_user


def test_unchanged_statuses_record_nothing(app, user, admin_user):
    perm = access_perm(app)
    set_statuses(perm, actor=admin_user, user_statuses=[(user, 1)])
    before = Event.objects.count()
    assert set_statuses(perm, actor=admin_user, user_statuses=[(user, 1)]) == {}
    assert Event.objects.count() == before


def test_clean_replaces_the_whole_list(app, admin_user):
    perm = access_perm(app)
    a, b = create_test_user("a1"), create_test_user("b1")
    set_statuses(perm, actor=admin_user, user_statuses=[(a, 1), (b, -1)])
    changes = set_statuses(perm, actor=admin_user, user_statuses=[(b, -1)], clean=True)
    assert changes == {"a1": [1, 0]}
    assert list(PermissionStatus.objects.values_list("user__username", "status")) == [("b1", -1)]


def test_bad_status_is_a_field_error(app, user, admin_user):
    with pytest.raises(DomainError) as exc:
        set_statuses(access_perm(app), actor=admin_user, user_statuses=[(user, 2)])
    assert exc.value.field == "user_perm_status"
    with pytest.raises(DomainError):
        set_user_perm_statuses(user, [(access_perm(app), "x")], actor=admin_user)
    assert PermissionStatus.objects.count() == 0


def test_owner_side_setters(app, user, admin_user):
    edit = make_perm(app, "edit")
    group = create_test_group("Ops", uid="ops", type_key="role")
    assert set_user_perm_statuses(user, [(edit, 1), (access_perm(app), -1)], actor=admin_user) == {
        "app_wiki_edit": [0, 1],
        "app_wiki_access": [0, -1],
    }
    assert set_group_perm_statuses(group, [(edit, 1)], actor=admin_user) == {"app_wiki_edit": [0, 1]}
    events = Event.objects.filter(action=Action.PERMISSION_STATUSES_CHANGED)
    assert events.count() == 3
    assert events.filter(detail__owner="g_ops").count() == 1


def test_create_rename_delete_custom_perm(app, admin_user):
    perm = perm_actions.create_permission(actor=admin_user, app=app, name="Edit pages")
    assert (perm.uid, perm.action, perm.kind) == ("app_wiki_editpages", "editpages", "custom")
    again = perm_actions.create_permission(actor=admin_user, app=app, name="Edit pages")
    assert again.uid == "app_wiki_editpages1"
    explicit = perm_actions.create_permission(actor=admin_user, app=app, name="Publish", action="publish")
    assert explicit.uid == "app_wiki_publish"
    with pytest.raises(Conflict):
        perm_actions.create_permission(actor=admin_user, app=app, name="Again", action="publish")
    with pytest.raises(DomainError):
        perm_actions.create_permission(actor=admin_user, app=app, name="Bad", action="Not OK")
    with pytest.raises(DomainError):
        perm_actions.create_permission(actor=admin_user, app=app, name="Bad", action="access")
    with pytest.raises(DomainError):
        perm_actions.create_permission(actor=admin_user, app=app, name="  ")
    perm_actions.rename_permission(perm, "Edit", actor=admin_user)
    assert Permission.objects.get(pk=perm.pk).name == "Edit"
    perm_actions.delete_permission(perm, actor=admin_user)
    assert not Permission.objects.filter(pk=perm.pk).exists()
    actions = list(Event.objects.order_by("id").values_list("action", flat=True))
    assert actions.count(Action.PERMISSION_CREATED) == 3
    assert Action.PERMISSION_UPDATED in actions and Action.PERMISSION_DELETED in actions


def test_access_and_system_perms_cannot_be_deleted_alone(app, admin_user):
    with pytest.raises(DomainError) as exc:
        perm_actions.delete_permission(access_perm(app), actor=admin_user)
    assert exc.value.code == "undeletable"
    with pytest.raises(DomainError):
        perm_actions.delete_permission(Permission.objects.get(uid="system_oneid_all"), actor=admin_user)


def test_deleting_a_user_or_group_drops_their_statuses(app, admin_user):
    perm = access_perm(app)
    someone = create_test_user("gone")
    group = create_test_group("Tmp", uid="tmp")
    set_statuses(perm, actor=admin_user, user_statuses=[(someone, 1)], group_statuses=[(group, 1)])
    someone.delete()
    group.delete()
    assert PermissionStatus.objects.count() == 0
