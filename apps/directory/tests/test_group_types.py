from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.core.exceptions import Conflict, DomainError
from apps.directory.actions.group_types import create_group_type, delete_group_type, rename_group_type
from apps.directory.models import Group, GroupType
from apps.directory.tests.factories import add_member, create_test_group, create_test_user, group_type

META = "/siteapi/v1/meta/node/"

pytestmark = pytest.mark.django_db


def test_builtin_types_have_v1_roots():
    roots = {t.key: t.root.node_uid for t in GroupType.objects.select_related("root__type")}
    assert roots == {"department": "d_root", "role": "g_role", "label": "g_label"}


def test_create_with_key_makes_root_group_and_audits(admin_user):
    created = create_group_type(actor=admin_user, name="Projects", key="projects")
    root = created.root
    assert (root.uid, root.node_uid, root.depth, root.path, root.parent_id) == (
        "projects",
        "g_projects",
        0,
        f"/{root.pk}/",
        None,
    )
    assert created.order > group_type("label").order
    event = Event.objects.get(action=Action.GROUP_TYPE_CREATED)
    assert event.changes == {"slug": [None, "projects"], "name": [None, "Projects"]}
    assert event.actor == admin_user


def test_key_generated_from_ascii_name(admin_user):
    assert create_group_type(actor=admin_user, name="Cost Centres").key == "cost-centres"
    # Same name again: the slug is taken, so a random suffix keeps it unique.
    again = create_group_type(actor=admin_user, name="Cost Centres").key
    assert again.startswith("cost-centres-") and again != "cost-centres"


def test_key_generated_for_chinese_name(admin_user):
    key = create_group_type(actor=admin_user, name="项目组").key
    assert key.startswith("t") and len(key) == 7


@pytest.mark.parametrize("taken", ["department", "role", "root", "label"])
def test_key_colliding_with_type_or_group_uid_is_refused(admin_user, taken):
    with pytest.raises(Conflict) as err:
        create_group_type(actor=admin_user, name="X", key=taken)
    assert err.value.field == "key"


def test_key_colliding_with_ordinary_group_uid_is_refused(admin_user):
    create_test_group("Sales", uid="sales")
    with pytest.raises(Conflict):
        create_group_type(actor=admin_user, name="Sales", key="sales")


@pytest.mark.parametrize("bad", ["Has Space", "-dash", "ünï", "x" * 65])
def test_bad_key_is_refused(admin_user, bad):
    with pytest.raises(DomainError) as err:
        create_group_type(actor=admin_user, name="X", key=bad)
    assert err.value.field == "key"


def test_blank_name_is_refused(admin_user):
    with pytest.raises(DomainError) as err:
        create_group_type(actor=admin_user, name="  ")
    assert err.value.field == "name"


def test_rename_custom_renames_root_too(admin_user):
    created = create_group_type(actor=admin_user, name="Projects", key="projects")
    rename_group_type(created, actor=admin_user, name="Programmes")
    assert GroupType.objects.get(key="projects").name == "Programmes"
    assert Group.objects.get(uid="projects").name == "Programmes"
    event = Event.objects.get(action=Action.GROUP_TYPE_UPDATED)
    assert event.changes == {"name": ["Projects", "Programmes"]}


@pytest.mark.parametrize("key", GroupType.BUILTIN_KEYS)
def test_builtins_cannot_be_renamed_or_deleted(admin_user, key):
    builtin = group_type(key)
    with pytest.raises(DomainError):
        rename_group_type(builtin, actor=admin_user, name="Other")
    with pytest.raises(DomainError):
        delete_group_type(builtin, actor=admin_user)
    assert GroupType.objects.filter(key=key, root__isnull=False).exists()


def test_delete_empty_custom_type(admin_user):
    created = create_group_type(actor=admin_user, name="Projects", key="projects")
    delete_group_type(created, actor=admin_user)
    assert not GroupType.objects.filter(key="projects").exists()
    assert not Group.objects.filter(uid="projects").exists()
    assert Event.objects.filter(action=Action.GROUP_TYPE_DELETED, target_name="Projects").exists()


def test_delete_refused_while_tree_has_groups(admin_user):
    created = create_group_type(actor=admin_user, name="Projects", key="projects")
    create_test_group(parent=created.root)
    with pytest.raises(DomainError, match="groups"):
        delete_group_type(created, actor=admin_user)
    assert GroupType.objects.filter(key="projects").exists()


def test_delete_refused_while_root_has_members(admin_user):
    created = create_group_type(actor=admin_user, name="Projects", key="projects")
    add_member(created.root, create_test_user())
    with pytest.raises(DomainError, match="members"):
        delete_group_type(created, actor=admin_user)


# --- API -------------------------------------------------------------------------------


def test_meta_node_lists_v1_categories(admin_client, admin_user):
    create_group_type(actor=admin_user, name="Projects", key="projects")
    body = admin_client.get(META).json()
    assert [c["slug"] for c in body] == ["default", "custom"]
    assert body[0]["name"] == "默认分类" and body[0]["node_uid"] is None
    assert [(n["name"], n["node_uid"], n["node_subject"]) for n in body[0]["nodes"]] == [
        ("部门", "d_root", "dept"),
        ("角色", "g_role", "role"),
        ("标签", "g_label", "label"),
    ]
    assert body[1]["name"] == "自定义分类"
    assert body[1]["nodes"] == [
        {
            "name": "Projects",
            "key": "projects",
            "node_uid": "g_projects",
            "node_subject": "projects",
            "is_builtin": False,
        }
    ]


def test_meta_node_create_rename_delete(admin_client):
    res = admin_client.post(META, {"name": "Projects", "key": "projects"}, format="json")
    assert res.status_code == 201
    assert res.json()["node_uid"] == "g_projects"
    res = admin_client.patch(META + "projects/", {"name": "Programmes"}, format="json")
    assert res.status_code == 200 and res.json()["name"] == "Programmes"
    assert admin_client.delete(META + "projects/").status_code == 204
    assert admin_client.get(META + "projects/").status_code == 404


def test_meta_node_errors(admin_client, user_client, api_client):
    assert api_client.get(META).status_code == 401
    assert user_client.get(META).status_code == 403
    assert user_client.post(META, {"name": "X"}, format="json").status_code == 403
    res = admin_client.post(META, {"name": ""}, format="json")
    assert res.status_code == 400 and "name" in res.json()
    res = admin_client.post(META, {"name": "Dept", "key": "department"}, format="json")
    assert res.status_code == 409 and "key" in res.json()
    res = admin_client.patch(META + "role/", {"name": "Roles"}, format="json")
    assert res.status_code == 400 and "key" in res.json()
    assert admin_client.delete(META + "department/").status_code == 400
    assert admin_client.patch(META + "nope/", {"name": "X"}, format="json").status_code == 404
