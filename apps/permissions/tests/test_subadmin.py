"""Sub-administrators: every escalation path is refused, and what is in scope works.

The tree: d_root > hq > sales > east, hq > hr, and eng beside hq. ``boss`` belongs to sales
and manages "own groups" (sales and east) with system_user_create and system_log_read and
the app wiki. ``sam`` (also in sales) is another sub-administrator; the administrator is a
member of sales too, to prove being in scope does not expose an administrator.
"""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from apps.audit.models import Event
from apps.directory.models import Group, Membership, User
from apps.directory.scope import can_change_user, manageable_users, resolve_scope
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions.actions.apps import create_app
from apps.permissions.actions.manager_groups import create_manager_group, update_manager_group
from apps.permissions.models import App, ManagerGroup, Permission
from conftest import issue_test_token

pytestmark = pytest.mark.django_db

API = "/siteapi/v1/"


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_test_token(user)}")
    return client


def perms(*uids: str) -> list[Permission]:
    return list(Permission.objects.filter(uid__in=uids))


@pytest.fixture
def world(admin_user):
    hq = create_test_group("HQ", uid="hq")
    sales = create_test_group("Sales", uid="sales", parent=hq)
    east = create_test_group("East", uid="east", parent=sales)
    hr = create_test_group("HR", uid="hr", parent=hq)
    eng = create_test_group("Eng", uid="eng")
    users = {name: create_test_user(name) for name in ("boss", "sam", "carol", "dave", "erin")}
    add_member(sales, users["boss"])
    add_member(sales, users["sam"])
    add_member(sales, admin_user)
    add_member(east, users["carol"])
    add_member(eng, users["dave"])
    add_member(hr, users["erin"])
    wiki, _ = create_app(actor=admin_user, name="Wiki", uid="wiki")
    secret, _ = create_app(actor=admin_user, name="Secret", uid="secret")
    create_manager_group(
        actor=admin_user,
        name="Sales admins",
        uid="sales-admins",
        member_users=[users["boss"]],
        perms=perms("system_user_create", "system_log_read"),
        apps=[wiki],
    )
    create_manager_group(actor=admin_user, name="Other", uid="other", member_users=[users["sam"]])
    groups = {"hq": hq, "sales": sales, "east": east, "hr": hr, "eng": eng}
    return {**users, **groups, "wiki": wiki, "secret": secret, "admin": admin_user}


@pytest.fixture
def boss(world):
    return client_for(world["boss"])


# --- scope resolution -------------------------------------------------------------------------


def test_scope_own_groups_covers_the_members_groups_and_descendants(world):
    found = resolve_scope(world["boss"])
    assert found.is_manager and not found.is_admin
    names = set(manageable_users(world["boss"]).values_list("username", flat=True))
    assert names == {"boss", "sam", "carol", "admin"}
    assert found.holds("system_user_create") and not found.holds("system_app_create")
    assert found.app_ids == {world["wiki"].pk}


def test_can_change_user_excludes_admins_and_sub_admins(world):
    boss = world["boss"]
    assert can_change_user(boss, world["carol"])
    assert not can_change_user(boss, world["admin"])  # in scope, but an administrator
    assert not can_change_user(boss, world["sam"])  # in scope, but a sub-administrator
    assert not can_change_user(boss, world["dave"])  # out of scope
    assert can_change_user(world["admin"], world["boss"])


def test_scope_listed_users_and_groups(world, admin_user):
    group = ManagerGroup.objects.get(uid="sales-admins")
    update_manager_group(
        group,
        {"scope_subject": ManagerGroup.SCOPE_LISTED, "scope_groups": [world["hr"]], "scope_users": [world["dave"]]},
        actor=admin_user,
    )
    names = set(manageable_users(world["boss"]).values_list("username", flat=True))
    assert names == {"erin", "dave"}


def test_scope_through_a_member_group_and_union_over_groups(world, admin_user):
    team = create_test_group("Admins team", uid="admins-team", parent=world["hr"])
    add_member(team, world["dave"])
    create_manager_group(
        actor=admin_user,
        name="Eng admins",
        uid="eng-admins",
        scope_subject=ManagerGroup.SCOPE_LISTED,
        member_groups=[team],
        scope_groups=[world["eng"]],
    )
    create_manager_group(
        actor=admin_user,
        name="HR log",
        uid="hr-log",
        scope_subject=ManagerGroup.SCOPE_LISTED,
        member_groups=[team],
        perms=perms("system_log_read"),
    )
    found = resolve_scope(world["dave"])
    assert found.is_manager and found.holds("system_log_read")
    assert set(manageable_users(world["dave"]).values_list("username", flat=True)) == {"dave"}


def test_a_change_is_visible_at_once_with_a_shared_cache(world, admin_user, settings):
    settings.SHARED_CACHE = True
    assert not resolve_scope(world["boss"]).holds("system_app_create")
    update_manager_group(
        ManagerGroup.objects.get(uid="sales-admins"), {"perms": perms("system_app_create")}, actor=admin_user
    )
    assert resolve_scope(world["boss"]).holds("system_app_create")
    add_member(world["eng"], world["boss"])  # a raw write: the next API write bumps the version
    from apps.directory.signals import send_tree_changed

    send_tree_changed("test")
    assert "dave" in set(manageable_users(world["boss"]).values_list("username", flat=True))


# --- users: reads -----------------------------------------------------------------------------


def test_user_list_shows_only_the_scope(boss):
    response = boss.get(API + "user/", {"page_size": 100})
    assert response.status_code == 200
    assert {u["username"] for u in response.json()["results"]} == {"boss", "sam", "carol", "admin"}


def test_out_of_scope_user_detail_is_404(boss):
    assert boss.get(API + "user/dave/").status_code == 404
    assert boss.get(API + "user/carol/").status_code == 200


def test_export_is_scoped(boss):
    response = boss.get(API + "migration/user/csv/export/")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "carol" in text and "dave" not in text


def test_plain_users_are_refused(world):
    client = client_for(world["erin"])
    assert client.get(API + "user/").status_code == 403
    assert client.get(API + "node/d_sales/").status_code == 403


# --- users: writes ----------------------------------------------------------------------------


def test_update_and_delete_out_of_scope_users_are_404(boss, world):
    assert boss.patch(API + "user/dave/", {"name": "X"}, format="json").status_code == 404
    assert boss.delete(API + "user/dave/").status_code == 404
    assert User.objects.filter(username="dave").exists()


def test_in_scope_plain_user_can_be_changed(boss):
    response = boss.patch(API + "user/carol/", {"name": "Carol C"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Carol C"


def test_admin_in_scope_cannot_be_changed_nor_password_reset(boss, world):
    assert boss.patch(API + "user/admin/password/", {"password": "Hijack3d!pw"}, format="json").status_code == 404
    assert boss.patch(API + "user/admin/", {"name": "X"}, format="json").status_code == 404
    assert boss.delete(API + "user/admin/").status_code == 404
    world["admin"].refresh_from_db()
    assert world["admin"].check_password("Passw0rd!x")


def test_another_sub_admin_cannot_be_changed(boss):
    assert boss.patch(API + "user/sam/password/", {"password": "Hijack3d!pw"}, format="json").status_code == 404
    assert boss.patch(API + "user/sam/", {"name": "X"}, format="json").status_code == 404


def test_password_of_in_scope_user_can_be_set(boss):
    response = boss.patch(API + "user/carol/password/", {"password": "N3w-pass!word"}, format="json")
    assert response.status_code == 200


def test_bulk_delete_with_one_out_of_scope_user_deletes_nobody(boss):
    response = boss.post(API + "slice/delete/", {"user_uids": ["carol", "dave"]}, format="json")
    assert response.status_code == 400 and "dave" in str(response.json())
    assert User.objects.filter(username__in=["carol", "dave"]).count() == 2


def test_csv_import_is_refused_to_sub_admins(boss):
    upload = io.BytesIO(b"username,name\nzed,Zed\n")
    upload.name = "users.csv"
    response = boss.post(API + "migration/user/csv/import/", {"users": upload}, format="multipart")
    assert response.status_code == 403
    assert not User.objects.filter(username="zed").exists()


def test_create_user_needs_the_perm_and_a_group_in_scope(boss, world):
    response = boss.post(API + "user/", {"user": {"username": "new1"}, "node_uids": ["d_eng"]}, format="json")
    assert response.status_code == 400 and "d_eng" in str(response.json())
    response = boss.post(API + "user/", {"user": {"username": "new1"}}, format="json")
    assert response.status_code == 400
    response = boss.post(API + "user/", {"user": {"username": "new1"}, "node_uids": ["d_east"]}, format="json")
    assert response.status_code == 201
    assert Membership.objects.filter(user__username="new1", group=world["east"]).exists()
    sam = client_for(world["sam"])  # no system_user_create
    response = sam.post(API + "user/", {"user": {"username": "new2"}, "node_uids": ["d_east"]}, format="json")
    assert response.status_code == 403


def test_adding_a_user_to_an_out_of_scope_node_is_refused(boss):
    response = boss.patch(API + "user/carol/node/", {"node_uids": ["d_eng"], "subject": "add"}, format="json")
    assert response.status_code == 400
    assert not Membership.objects.filter(user__username="carol", group__uid="eng").exists()


def test_override_cannot_drop_memberships_outside_the_scope(boss, world):
    add_member(world["eng"], world["carol"])
    response = boss.patch(API + "user/carol/node/", {"node_uids": ["d_east"], "subject": "override"}, format="json")
    assert response.status_code == 400
    assert Membership.objects.filter(user=world["carol"], group=world["eng"]).exists()


# --- groups -----------------------------------------------------------------------------------


def test_out_of_scope_nodes_are_404(boss):
    for url in ("node/d_eng/", "node/d_hr/tree/", "node/d_hq/list/", "node/d_eng/user/", "node/d_root/node/"):
        assert boss.get(API + url).status_code == 404, url
    assert boss.patch(API + "node/d_eng/", {"name": "X"}, format="json").status_code == 404
    assert boss.delete(API + "node/d_eng/").status_code == 404
    assert boss.post(API + "node/d_hq/node/", {"name": "New"}, format="json").status_code == 404


def test_in_scope_nodes_are_managed(boss):
    assert boss.get(API + "node/d_sales/tree/").status_code == 200
    assert boss.patch(API + "node/d_east/", {"name": "East 2"}, format="json").status_code == 200
    assert boss.post(API + "node/d_sales/node/", {"name": "West", "uid": "west"}, format="json").status_code == 201


def test_moving_a_node_out_of_or_into_the_scope_is_refused(boss, world):
    response = boss.patch(API + "node/d_sales/node/", {"node_uids": ["d_eng"], "subject": "add"}, format="json")
    assert response.status_code == 400  # eng is not in scope
    response = boss.patch(API + "node/d_hq/node/", {"node_uids": ["d_east"], "subject": "add"}, format="json")
    assert response.status_code == 404  # hq is not in scope
    assert Group.objects.get(pk=world["east"].pk).parent_id == world["sales"].pk


def test_adding_an_out_of_scope_user_to_an_in_scope_node_is_refused(boss):
    response = boss.patch(API + "node/d_east/user/", {"user_uids": ["dave"], "subject": "add"}, format="json")
    assert response.status_code == 400
    assert not Membership.objects.filter(user__username="dave", group__uid="east").exists()
    response = boss.patch(API + "node/d_east/user/", {"user_uids": ["boss"], "subject": "add"}, format="json")
    assert response.status_code == 200


def test_removing_an_admin_or_sub_admin_from_a_node_is_refused(boss):
    response = boss.patch(API + "node/d_sales/user/", {"user_uids": ["sam"], "subject": "delete"}, format="json")
    assert response.status_code == 400
    response = boss.patch(API + "node/d_sales/user/", {"user_uids": ["boss"], "subject": "override"}, format="json")
    assert response.status_code == 400
    assert Membership.objects.filter(group__uid="sales").count() == 3


def test_members_of_a_group_granting_manager_powers_are_admin_only(boss, world, admin_user):
    create_manager_group(
        actor=admin_user, name="East admins", uid="east-admins", member_groups=[world["east"]], apps=[world["wiki"]]
    )
    response = boss.patch(API + "node/d_east/user/", {"user_uids": ["boss"], "subject": "add"}, format="json")
    assert response.status_code == 400 and "d_east" in str(response.json())


# --- manager groups, audit log, apps ---------------------------------------------------------


def test_sub_admin_cannot_read_or_edit_manager_groups(boss):
    assert boss.get(API + "manager_group/").status_code == 403
    response = boss.patch(API + "manager_group/sales-admins/", {"perms": ["system_app_create"]}, format="json")
    assert response.status_code == 403
    assert boss.post(API + "manager_group/", {"name": "Mine", "members": ["boss"]}, format="json").status_code == 403


def test_admin_manages_manager_groups_with_an_audit_trail(admin_client, world):
    body = {
        "uid": "hr-admins",
        "name": "HR admins",
        "scope_subject": 2,
        "members": ["erin"],
        "nodes": ["d_hr"],
        "users": ["dave"],
        "apps": ["secret"],
        "perms": ["system_log_read"],
    }
    response = admin_client.post(API + "manager_group/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["nodes"] == ["d_hr"] and response.json()["members"] == ["erin"]
    assert Event.objects.filter(action="manager_group.created", target_name="HR admins").exists()
    assert resolve_scope(world["erin"]).is_manager
    response = admin_client.patch(API + "manager_group/hr-admins/", {"members": []}, format="json")
    assert response.status_code == 200 and response.json()["members"] == []
    assert not resolve_scope(world["erin"]).is_manager
    listing = admin_client.get(API + "manager_group/").json()
    assert {g["uid"] for g in listing["results"]} == {"sales-admins", "other", "hr-admins"}
    assert admin_client.delete(API + "manager_group/hr-admins/").status_code == 204
    assert Event.objects.filter(action="manager_group.deleted").exists()


def test_manager_group_bad_input_is_400(admin_client, world):
    response = admin_client.post(API + "manager_group/", {"name": "X", "members": ["ghost"]}, format="json")
    assert response.status_code == 400 and "ghost" in response.json()["members"][0]
    response = admin_client.post(API + "manager_group/", {"name": "X", "perms": ["system_oneid_all"]}, format="json")
    assert response.status_code == 400 and "perms" in response.json()
    response = admin_client.post(API + "manager_group/", {"name": "X", "scope_subject": 7}, format="json")
    assert response.status_code == 400 and "scope_subject" in response.json()
    response = admin_client.post(API + "manager_group/", {"name": "", "members": "boss"}, format="json")
    assert response.status_code == 400


def test_audit_log_needs_read_log(boss, world):
    assert boss.get(API + "log/").status_code == 200
    assert client_for(world["sam"]).get(API + "log/").status_code == 403
    assert client_for(world["erin"]).get(API + "log/").status_code == 403


def test_apps_are_scoped(boss):
    listing = boss.get(API + "app/").json()
    assert [a["uid"] for a in listing["results"]] == ["wiki"]
    assert boss.get(API + "app/secret/").status_code == 404
    assert boss.patch(API + "app/secret/", {"name": "X"}, format="json").status_code == 404
    assert boss.delete(API + "app/secret/").status_code == 404
    assert boss.patch(API + "app/wiki/", {"name": "Wiki 2"}, format="json").status_code == 200


def test_creating_an_app_needs_the_perm_and_gives_a_manager_group(boss, world, admin_user):
    assert boss.post(API + "app/", {"name": "Mine", "uid": "mine"}, format="json").status_code == 403
    update_manager_group(
        ManagerGroup.objects.get(uid="sales-admins"), {"perms": perms("system_app_create")}, actor=admin_user
    )
    response = boss.post(API + "app/", {"name": "Mine", "uid": "mine"}, format="json")
    assert response.status_code == 201
    group = ManagerGroup.objects.get(apps__uid="mine")
    assert list(group.member_users.all()) == [world["boss"]]
    assert boss.get(API + "app/mine/").status_code == 200
    assert App.objects.filter(uid="mine").exists()


def test_manage_scope_profile_and_login_say_who_manages_what(boss, world):
    body = boss.get(API + "ucenter/manage_scope/").json()
    assert body["is_manager"] and body["nodes"] == ["d_sales"] and body["apps"] == ["wiki"]
    assert body["perms"] == ["system_log_read", "system_user_create"]
    profile = boss.get(API + "ucenter/profile/").json()
    assert profile["is_manager"] is True and "system_log_read" in profile["manager_perms"]
    login = APIClient().post(API + "ucenter/login/", {"username": "boss", "password": "Passw0rd!x"}, format="json")
    assert login.status_code == 200
    assert login.json()["is_manager"] is True and login.json()["roles"] == ["manager"]
    assert "system_user_create" in login.json()["perms"]
    plain = client_for(world["erin"]).get(API + "ucenter/manage_scope/").json()
    assert plain["is_manager"] is False and plain["nodes"] == []


# --- permission grants ------------------------------------------------------------------------


def test_perm_list_shows_only_managed_apps(boss):
    listing = boss.get(API + "perm/", {"page_size": 100}).json()
    assert {p["uid"] for p in listing["results"]} == {"app_wiki_access"}
    assert boss.get(API + "perm/app_secret_access/").status_code == 404
    assert boss.get(API + "perm/system_user_create/").status_code == 404


def test_granting_a_perm_of_an_unmanaged_app_or_a_system_perm_is_refused(boss, world):
    for uid in ("app_secret_access", "system_app_create", "system_oneid_all"):
        body = {"perm_statuses": [{"uid": uid, "status": 1}]}
        response = boss.patch(API + "perm/user/carol/", body, format="json")
        assert response.status_code == 400, uid
    body = {"user_perm_status": [{"uid": "carol", "status": 1}]}
    assert boss.patch(API + "perm/app_secret_access/owner/", body, format="json").status_code == 404
    assert not world["carol"].perm_statuses.exists()


def test_granting_to_out_of_scope_owners_is_refused(boss):
    body = {"perm_statuses": [{"uid": "app_wiki_access", "status": 1}]}
    assert boss.patch(API + "perm/user/dave/", body, format="json").status_code == 404
    assert boss.patch(API + "perm/user/admin/", body, format="json").status_code == 404
    assert boss.patch(API + "perm/node/d_eng/", body, format="json").status_code == 404
    owner_body = {"user_perm_status": [{"uid": "dave", "status": 1}]}
    response = boss.patch(API + "perm/app_wiki_access/owner/", owner_body, format="json")
    assert response.status_code == 400 and "dave" in str(response.json())
    owner_body = {"node_perm_status": [{"uid": "d_eng", "status": 1}]}
    assert boss.patch(API + "perm/app_wiki_access/owner/", owner_body, format="json").status_code == 400
    response = boss.patch(API + "perm/app_wiki_access/owner/", {"clean": True}, format="json")
    assert response.status_code == 400


def test_scoped_grant_works_and_lists_only_the_scope(boss, admin_client, world):
    admin_client.patch(
        API + "perm/app_wiki_access/owner/", {"user_perm_status": [{"uid": "dave", "status": 1}]}, format="json"
    )
    body = {"perm_statuses": [{"uid": "app_wiki_access", "status": 1}]}
    assert boss.patch(API + "perm/user/carol/", body, format="json").status_code == 200
    assert boss.patch(API + "perm/node/d_east/", body, format="json").status_code == 200
    owners = boss.get(API + "perm/app_wiki_access/owner/").json()["results"]
    assert {o["uid"] for o in owners} == {"carol", "d_east"}  # dave's grant stays hidden
    holders = boss.get(API + "perm/app_wiki_access/result/", {"page_size": 100}).json()["results"]
    assert "dave" not in {h["username"] for h in holders} and "carol" in {h["username"] for h in holders}
    assert boss.get(API + "user/dave/perm/app_wiki_access/").status_code == 404
    listing = boss.get(API + "perm/", {"owner_subject": "user"}).json()["results"]
    assert [o["uid"] for o in listing[0]["permit_owners"]] == ["carol"]


def test_creating_a_category_needs_the_perm_and_gives_its_tree(boss, world, admin_user):
    assert boss.get(API + "meta/node/").status_code == 200
    assert boss.post(API + "meta/node/", {"name": "Projects", "key": "projects"}, format="json").status_code == 403
    update_manager_group(
        ManagerGroup.objects.get(uid="sales-admins"), {"perms": perms("system_category_create")}, actor=admin_user
    )
    response = boss.post(API + "meta/node/", {"name": "Projects", "key": "projects"}, format="json")
    assert response.status_code == 201
    root = response.json()["node_uid"]
    assert boss.post(API + f"node/{root}/node/", {"name": "Apollo", "uid": "apollo"}, format="json").status_code == 201
    assert boss.get(API + "node/g_apollo/").status_code == 200
    assert client_for(world["sam"]).get(API + f"node/{root}/").status_code == 404


def test_visibility_lists_stay_inside_the_scope(boss):
    response = boss.patch(API + "node/d_east/", {"user_scope": ["dave"]}, format="json")
    assert response.status_code == 400 and "user_scope" in response.json()
    response = boss.patch(API + "node/d_east/", {"node_scope": ["d_eng"]}, format="json")
    assert response.status_code == 400 and "node_scope" in response.json()
    response = boss.patch(API + "node/d_east/", {"user_scope": ["carol"], "node_scope": ["d_sales"]}, format="json")
    assert response.status_code == 200


def test_creating_a_user_into_a_group_granting_manager_powers_is_refused(boss, world, admin_user):
    create_manager_group(actor=admin_user, name="East admins", uid="east-admins", member_groups=[world["east"]])
    response = boss.post(API + "user/", {"user": {"username": "new3"}, "node_uids": ["d_east"]}, format="json")
    assert response.status_code == 400
    assert not User.objects.filter(username="new3").exists()


def test_token_check_knows_the_manager_groups_system_perms(world):
    client = client_for(world["boss"])
    response = client.get(API + "auth/token/", {"perm_uid": "system_log_read"})
    assert response.status_code == 200 and "system_user_create" in response.json()["perms"]
    assert client.get(API + "auth/token/", {"perm_uid": "system_app_create"}).status_code == 403
    assert client_for(world["erin"]).get(API + "auth/token/", {"perm_uid": "system_log_read"}).status_code == 403
