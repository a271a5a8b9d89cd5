"""The perm/ API (v1 paths and shapes), including the manual's HTTPie example verbatim."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from apps.audit.models import Action, Event
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions.models import PermissionStatus
from apps.permissions.tests.perm_factories import access_perm, make_app, make_perm

pytestmark = pytest.mark.django_db

BASE = "/siteapi/oneid"


@pytest.fixture
def app():
    return make_app("wiki")


@pytest.fixture
def tree():
    a = create_test_group("A", uid="a")
    b = create_test_group("B", uid="b", parent=a)
    r = create_test_group("R", uid="r", type_key="role")
    return {"a": a, "b": b, "r": r}


def test_only_admins(user_client, api_client, app):
    for url in ("/perm/", "/perm/app_wiki_access/", "/perm/user/alice/", "/perm/app_wiki_access/result/"):
        assert user_client.get(BASE + url).status_code == 403
        assert api_client.get(BASE + url).status_code == 401


def test_list_and_filters(admin_client, app):
    make_perm(app, "edit")
    make_app("blog")
    body = admin_client.get(f"{BASE}/perm/", {"scope": "wiki"}).json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "uid": "app_wiki_access",
        "name": "Access Wiki",
        "remark": "",
        "subject": "app",
        "scope": "wiki",
        "action": "access",
        "kind": "access",
        "editable": False,
        "default_value": False,
    }
    uids = lambda params: [p["uid"] for p in admin_client.get(f"{BASE}/perm/", params).json()["results"]]  # noqa: E731
    assert uids({"scope": "wiki", "action_except": "access"}) == ["app_wiki_edit"]
    assert uids({"action": "access"}) == ["app_wiki_access", "app_blog_access"]
    assert uids({"name": "blog"}) == ["app_blog_access"]
    assert "system_user_create" in uids({"scope": "user"})


def test_list_with_owner_subject(admin_client, app, user, tree, admin_user):
    perm = access_perm(app)
    PermissionStatus.objects.create(perm=perm, user=user, status=1)
    PermissionStatus.objects.create(perm=perm, group=tree["a"], status=-1)
    item = admin_client.get(f"{BASE}/perm/", {"scope": "wiki", "owner_subject": "all"}).json()["results"][0]
    assert item["permit_owners"] == [{"uid": "alice", "name": "Alice", "subject": "user", "status": 1}]
    assert item["reject_owners"] == [{"uid": "d_a", "name": "A", "subject": "dept", "status": -1}]
    item = admin_client.get(f"{BASE}/perm/", {"scope": "wiki", "owner_subject": "role"}).json()["results"][0]
    assert item["permit_owners"] == [] and item["reject_owners"] == []


def test_create_detail_rename_delete(admin_client, app):
    resp = admin_client.post(f"{BASE}/perm/", {"scope": "wiki", "name": "Edit pages"}, format="json")
    assert resp.status_code == 201 and resp.json()["uid"] == "app_wiki_editpages"
    resp = admin_client.post(f"{BASE}/perm/", {"scope": "wiki", "name": "X", "action": "editpages"}, format="json")
    assert resp.status_code == 409 and "action" in resp.json()
    assert admin_client.post(f"{BASE}/perm/", {"scope": "nope", "name": "X"}, format="json").status_code == 400
    assert admin_client.post(f"{BASE}/perm/", {"scope": "wiki"}, format="json").json()["name"]
    assert admin_client.post(f"{BASE}/perm/", ["x"], format="json").status_code == 400
    assert admin_client.get(f"{BASE}/perm/app_wiki_editpages/").json()["editable"] is True
    resp = admin_client.patch(f"{BASE}/perm/app_wiki_editpages/", {"name": "Edit"}, format="json")
    assert resp.json()["name"] == "Edit"
    assert admin_client.delete(f"{BASE}/perm/app_wiki_access/").status_code == 400
    assert admin_client.delete(f"{BASE}/perm/app_wiki_editpages/").status_code == 204
    assert admin_client.get(f"{BASE}/perm/app_wiki_editpages/").status_code == 404


def test_owner_get_and_patch(admin_client, app, user, tree):
    url = f"{BASE}/perm/app_wiki_access/owner/"
    body = {
        "user_perm_status": [{"uid": "alice", "status": 1}],
        "node_perm_status": [{"uid": "d_a", "status": 1}, {"uid": "g_r", "status": -1}],
    }
    resp = admin_client.patch(url, body, format="json")
    assert resp.status_code == 200 and resp.json()["count"] == 3
    assert [o["uid"] for o in admin_client.get(url, {"owner_subject": "user"}).json()["results"]] == ["alice"]
    assert [o["uid"] for o in admin_client.get(url, {"owner_subject": "dept"}).json()["results"]] == ["d_a"]
    assert [o["uid"] for o in admin_client.get(url, {"owner_subject": "role"}).json()["results"]] == ["g_r"]
    assert [o["uid"] for o in admin_client.get(url, {"status": -1}).json()["results"]] == ["g_r"]
    assert admin_client.get(url, {"status": 5}).status_code == 400
    resp = admin_client.patch(url, {"clean": True, "node_perm_status": [{"uid": "d_b", "status": -1}]}, format="json")
    assert [o["uid"] for o in resp.json()["results"]] == ["d_b"]
    assert Event.objects.filter(action=Action.PERMISSION_STATUSES_CHANGED).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"user_perm_status": [{"uid": "nobody", "status": 1}]},
        {"node_perm_status": [{"uid": "d_nothing", "status": 1}]},
        {"user_perm_status": [{"uid": "alice", "status": 3}]},
        {"user_perm_status": "alice"},
        {"node_perm_status": [{"status": 1}]},
    ],
)
def test_owner_patch_rejects_bad_input(admin_client, app, user, body):
    resp = admin_client.patch(f"{BASE}/perm/app_wiki_access/owner/", body, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) & {"user_perm_status", "node_perm_status"}
    assert PermissionStatus.objects.count() == 0


def test_result_list_with_sources_and_keyword(admin_client, app, tree, admin_user):
    bob, carol = create_test_user("bob", name="Bob"), create_test_user("carol", name="Carol")
    add_member(tree["b"], bob)
    add_member(tree["b"], carol)
    admin_client.patch(
        f"{BASE}/perm/app_wiki_access/owner/",
        {"node_perm_status": [{"uid": "d_a", "status": 1}], "user_perm_status": [{"uid": "carol", "status": -1}]},
        format="json",
    )
    body = admin_client.get(f"{BASE}/perm/app_wiki_access/result/").json()
    assert [r["username"] for r in body["results"]] == ["admin", "bob"]
    bob_row = body["results"][1]
    assert bob_row["status"] == 0
    assert bob_row["sources"] == [{"node_uid": "d_a", "name": "A", "status": 1, "via": "d_b"}]
    body = admin_client.get(f"{BASE}/perm/app_wiki_access/holders/", {"keyword": "bo"}).json()
    assert [r["username"] for r in body["results"]] == ["bob"]


def test_user_perms_get_and_patch(admin_client, app, user, tree):
    make_perm(app, "edit")
    add_member(tree["b"], user)
    admin_client.patch(
        f"{BASE}/perm/node/d_a/", {"perm_statuses": [{"uid": "app_wiki_edit", "status": 1}]}, format="json"
    )
    resp = admin_client.patch(
        f"{BASE}/perm/user/alice/", {"perm_statuses": [{"uid": "app_wiki_access", "status": 1}]}, format="json"
    )
    assert resp.status_code == 200
    items = {i["uid"]: i for i in admin_client.get(f"{BASE}/perm/user/alice/", {"scope": "wiki"}).json()["results"]}
    assert items["app_wiki_access"]["status"] == 1 and items["app_wiki_access"]["value"] is True
    assert items["app_wiki_edit"]["status"] == 0 and items["app_wiki_edit"]["value"] is True
    assert items["app_wiki_edit"]["perm"]["name"] == "Edit"
    resp = admin_client.patch(f"{BASE}/perm/user/alice/", {"perm_statuses": [{"uid": "nope_x_y", "status": 1}]})
    assert resp.status_code == 400 and "perm_statuses" in resp.json()
    assert admin_client.patch(f"{BASE}/perm/user/alice/", {}, format="json").status_code == 400
    assert admin_client.get(f"{BASE}/perm/user/nobody/").status_code == 404


def test_node_perms_values_follow_the_path(admin_client, app, tree):
    admin_client.patch(
        f"{BASE}/perm/dept/a/", {"perm_statuses": [{"uid": "app_wiki_access", "status": 1}]}, format="json"
    )
    item = admin_client.get(f"{BASE}/perm/node/d_b/", {"scope": "wiki"}).json()["results"][0]
    assert item["status"] == 0 and item["value"] is True
    admin_client.patch(
        f"{BASE}/perm/group/r/", {"perm_statuses": [{"uid": "app_wiki_access", "status": -1}]}, format="json"
    )
    item = admin_client.get(f"{BASE}/perm/node/g_r/", {"scope": "wiki"}).json()["results"][0]
    assert item["status"] == -1 and item["value"] is False
    assert admin_client.get(f"{BASE}/perm/node/x_y/").status_code == 404


def test_user_perm_explanation_and_result(admin_client, app, user, tree):
    add_member(tree["b"], user)
    admin_client.patch(
        f"{BASE}/perm/node/d_a/", {"perm_statuses": [{"uid": "app_wiki_access", "status": 1}]}, format="json"
    )
    body = admin_client.get(f"{BASE}/user/alice/perm/app_wiki_access/").json()
    assert body["value"] is True and body["decided_by"] == "groups" and body["status"] == 0
    assert body["source"] == [{"node_uid": "d_a", "name": "A", "status": 1, "via": "d_b"}]
    assert admin_client.get(f"{BASE}/user/alice/perm/app_wiki_access/result/").json() == {"value": True}
    admin_client.patch(
        f"{BASE}/perm/user/alice/", {"perm_statuses": [{"uid": "app_wiki_access", "status": -1}]}, format="json"
    )
    assert admin_client.get(f"{BASE}/user/alice/perm/app_wiki_access/result/").json() == {"value": False}
    assert admin_client.get(f"{BASE}/user/alice/perm/nope/result/").status_code == 404


def test_login_response_lists_held_perms(api_client, app, tree):
    create_test_user("bob", password="Passw0rd!x")
    make_app("open", allow_any_user=True)
    PermissionStatus.objects.create(perm=make_perm(app, "edit"), user_id=create_test_user("x").pk, status=1)
    resp = api_client.post(f"{BASE}/ucenter/login/", {"username": "bob", "password": "Passw0rd!x"}, format="json")
    assert resp.json()["perms"] == ["app_open_access"]


HTTP = os.path.join(os.path.dirname(sys.executable), "http")


@pytest.mark.django_db(transaction=True)
def test_manual_httpie_perm_patch_verbatim(live_server, tmp_path):
    """Seed 004: ``http PATCH .../siteapi/oneid/perm/user/user1/ < perm.json Authorization:'Token ${token}'``."""
    assert shutil.which(HTTP), "httpie is a dev requirement"
    create_test_user("admin", password="admin", is_admin=True)
    create_test_user("user1")
    make_app("app1")
    make_app("app2")
    env = {**os.environ, "HTTPIE_CONFIG_DIR": str(tmp_path)}

    def run(args, stdin=None):
        result = subprocess.run(  # noqa: S603 - fixed executable, arguments from the test
            [HTTP, *([] if stdin else ["--ignore-stdin"]), *args], stdin=stdin, capture_output=True, text=True,
            timeout=60, env=env,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    token = run(["POST", f"{live_server.url}/siteapi/oneid/ucenter/login/", "username=admin", "password=admin"])[
        "token"
    ]
    perm_json = tmp_path / "perm.json"
    perm_json.write_text(
        '{\n    "perm_statuses":\n    [\n         { "uid" : "app_app1_access", "status" : 1 },\n'
        '         { "uid" : "app_app2_access", "status" : 1 }\n    ]\n}\n'
    )
    with perm_json.open() as stdin:
        run(["PATCH", f"{live_server.url}/siteapi/oneid/perm/user/user1/", f"Authorization:Token {token}"], stdin)
    listing = run(["GET", f"{live_server.url}/siteapi/oneid/perm/user/user1/", f"Authorization:Token {token}"])
    values = {i["uid"]: (i["status"], i["value"]) for i in listing["results"]}
    assert values["app_app1_access"] == (1, True) and values["app_app2_access"] == (1, True)
