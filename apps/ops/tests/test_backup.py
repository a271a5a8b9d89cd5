"""arkid_export / arkid_import: a full round trip, and refusals that leave nothing behind."""

from __future__ import annotations

import json
import stat

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import Action, Event
from apps.directory.actions import custom_fields, external_identities, group_types, groups, memberships, users
from apps.directory.models import CustomField, Group, GroupType, Membership, Organization, User
from apps.directory.tests.factories import group_type
from apps.ops.backup import export_directory
from apps.ops.restore import RestoreError, restore_directory
from apps.permissions.actions import apps as app_actions
from apps.permissions.actions import perms, statuses
from apps.permissions.models import App, AppProtocol, PermissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    """A small directory built through the actions, as an administrator would."""
    root = users.create_user(actor=None, username="root", name="Root", password="Sup3r-secret-pw")
    User.objects.filter(pk=root.pk).update(is_admin=True)
    alice = users.create_user(
        actor=None, username="alice", name="Alice", email="alice@example.org", password="Al1ce-pw!x"
    )
    bob = users.create_user(actor=None, username="bob", name="鲍勃", mobile="+8618812345678", is_active=False)
    projects = group_types.create_group_type(actor=None, name="Projects", key="projects")
    rd = groups.create_group(actor=None, parent=group_type("department").root, name="R&D", uid="rd")
    backend = groups.create_group(actor=None, parent=rd, name="Backend", uid="backend", remark="APIs")
    apollo = groups.create_group(actor=None, parent=projects.root, name="Apollo", uid="apollo")
    memberships.add_members(backend, [bob, alice], actor=None)
    memberships.add_members(apollo, [alice], actor=None)
    wiki, _ = app_actions.create_app(actor=None, name="Wiki", uid="wiki", index="https://wiki.example.org/")
    AppProtocol.objects.create(app=wiki, name=AppProtocol.Name.HTTP, config={"login_url": "https://wiki.example.org/"})
    edit = perms.create_permission(actor=None, app=wiki, name="Edit pages", action="edit")
    statuses.set_statuses(edit, actor=None, user_statuses=[(alice, 1), (bob, -1)], group_statuses=[(rd, 1)])
    access = wiki.perms.get(action="access")
    statuses.set_statuses(access, actor=None, group_statuses=[(apollo, 1)])
    custom_fields.create_custom_field(actor=None, name="工位", field_type="string")
    custom_fields.create_custom_field(actor=None, name="Level", field_type="number", is_visible=False)
    custom_fields.create_custom_field(actor=None, name="Remote", field_type="boolean")
    users.set_user_custom_values(alice, {"工位": "A-101", "Level": 7, "Remote": True}, actor=None)
    external_identities.link_external_identity(
        alice, provider="dingtalk", external_id="union-123", data={"nick": "alice"}, actor=None
    )
    groups.update_group(backend, {"visibility": 4, "user_scope": ["alice"], "node_scope": ["g_apollo"]}, actor=None)
    org = Organization.current()
    org.name, org.domain = "Example Corp", "example.org"
    org.save()
    return {"alice": alice, "backend": backend}


def _wipe() -> None:
    """Back to a freshly migrated database (built-in types and system permissions stay)."""
    PermissionStatus.objects.all().delete()
    App.objects.all().delete()
    Membership.objects.all().delete()
    for group in Group.objects.filter(parent__isnull=False).order_by("-depth"):
        group.delete()
    for custom in GroupType.objects.filter(is_builtin=False):
        group_types.delete_group_type(custom, actor=None)
    User.objects.all().delete()
    CustomField.objects.all().delete()
    Organization.objects.all().delete()


def _comparable(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "exported_at"}


def test_round_trip_restores_everything(directory):
    before = export_directory()
    _wipe()
    assert not User.objects.exists()

    counts = restore_directory(json.loads(json.dumps(before)))

    assert _comparable(export_directory()) == _comparable(before)
    assert counts["users"] == 3 and counts["members"] == 3
    alice = User.objects.get(username="alice")
    assert alice.check_password("Al1ce-pw!x") and alice.uuid == directory["alice"].uuid
    assert User.objects.get(username="root").is_admin
    assert not User.objects.get(username="bob").has_usable_password()
    backend = Group.objects.get(uid="backend")
    assert backend.path.startswith(Group.objects.get(uid="rd").path) and backend.remark == "APIs"
    assert list(
        Membership.objects.filter(group=backend).order_by("order").values_list("user__username", flat=True)
    ) == [
        "bob",
        "alice",
    ]
    assert alice.custom_values.get(field__name="Level").value == "7"
    assert alice.external_identities.get().external_id == "union-123"
    assert list(backend.visible_users.values_list("username", flat=True)) == ["alice"]
    assert Organization.current().name == "Example Corp"
    assert Event.objects.filter(action=Action.DIRECTORY_IMPORTED).count() == 1
    assert Event.objects.filter(action=Action.USER_CREATED, target_name__in=["alice", "Alice"]).exists()


def test_commands_round_trip_through_a_private_file(directory, tmp_path, capsys):
    path = tmp_path / "backup.json"
    call_command("arkid_export", "--output", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Event.objects.filter(action=Action.DIRECTORY_EXPORTED).count() == 1
    _wipe()
    call_command("arkid_import", str(path))
    assert set(User.objects.values_list("username", flat=True)) == {"root", "alice", "bob"}


def test_refuses_a_non_empty_target(directory, tmp_path):
    path = tmp_path / "backup.json"
    call_command("arkid_export", "--output", str(path))
    with pytest.raises(CommandError, match="not empty"):
        call_command("arkid_import", str(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something-else"}', "not an ArkID directory export"),
        ('{"format": "arkid-directory", "version": 99}', "unsupported export version"),
        ('{"format": "arkid-directory", "version": 1, "users": []}', "group_types: missing"),
    ],
)
def test_refuses_files_that_are_not_exports(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("arkid_import", str(path))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("arkid_import", str(tmp_path / "nope.json"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["users"][1].update(email="not-an-email"), r"users\[1\]"),
        (lambda d: d["users"].append(dict(d["users"][0])), r"users\[3\].username"),
        (lambda d: d["users"][0].update(mobile="188 1234 5678"), r"users\[2\].mobile.*users\[0\]"),
        (lambda d: d["users"][0].update(uuid=d["users"][1]["uuid"]), r"users\[1\].uuid"),
        (lambda d: d["groups"][0].update(order="first"), "order must be an integer"),
        (lambda d: d["memberships"][0]["users"].append("ghost"), "ghost"),
        (lambda d: d["groups"][0].update(parent="nowhere"), "not defined before"),
        (lambda d: d["statuses"][0].update(perm="app_nope_x"), "unknown permission"),
        (lambda d: d["users"][1]["custom"].update(Level="many"), r"users\[1\].*Level"),
        (lambda d: d["custom_fields"][0].update(field_type="color"), r"custom_fields\[0\]"),
        (lambda d: d["groups"][1].update(user_scope=["ghost"]), r"groups\[1\].*ghost"),
        (lambda d: d["organization"].update(secret="x"), "organization"),
    ],
)
def test_a_bad_entry_names_its_place_and_imports_nothing(directory, mutate, message):
    document = export_directory()
    _wipe()
    mutate(document)
    with pytest.raises(RestoreError, match=message):
        restore_directory(document)
    assert not User.objects.exists() and not App.objects.exists()
    assert not Group.objects.filter(parent__isnull=False).exists()
