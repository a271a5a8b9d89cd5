"""Administrators' node API: detail, list, tree, children and members, with their error paths."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.directory.api import nodes_render
from apps.directory.models import Group, Membership, Visibility
from apps.directory.tests.factories import add_member, create_test_group, create_test_user

pytestmark = pytest.mark.django_db

API = "/siteapi/v1/"


def url(node_uid: str, tail: str = "") -> str:
    return f"{API}node/{node_uid}/{tail}"


@pytest.fixture
def org():
    """d_root > sales > (north > north-east), support; members in north and north-east."""
    sales = create_test_group("Sales", uid="sales", remark="money")
    north = create_test_group("North", uid="north", parent=sales)
    north_east = create_test_group("North East", uid="north-east", parent=north)
    support = create_test_group("Support", uid="support", order=1)
    ann, ben = create_test_user("ann", name="Ann"), create_test_user("ben", name="Ben")
    add_member(north, ann, order=0)
    add_member(north, ben, order=1)
    add_member(north_east, ann)
    return {"sales": sales, "north": north, "north_east": north_east, "support": support, "ann": ann, "ben": ben}


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("tail", ["", "list/", "tree/", "node/", "user/"])
def test_admin_only(api_client, user_client, admin_client, org, tail):
    assert api_client.get(url("d_sales", tail)).status_code == 401
    assert user_client.get(url("d_sales", tail)).status_code == 403
    assert admin_client.get(url("d_nope", tail)).status_code == 404
    assert admin_client.get(url("g_sales", tail)).status_code == 404  # a department behind g_
    assert admin_client.get(f"/siteapi/oneid/node/d_sales/{tail}").status_code == 200


def test_non_admin_cannot_write(user_client, org):
    assert user_client.patch(url("d_sales"), {"name": "X"}, format="json").status_code == 403
    assert user_client.delete(url("d_support")).status_code == 403
    assert user_client.post(url("d_sales", "node/"), {"name": "X"}, format="json").status_code == 403
    body = {"user_uids": ["ann"], "subject": "delete"}
    assert user_client.patch(url("d_north", "user/"), body, format="json").status_code == 403
    assert Group.objects.filter(uid="support").exists() and Membership.objects.count() == 3


# --- node/<node_uid>/ --------------------------------------------------------------------


def test_detail(admin_client, org):
    org["sales"].visible_users.add(org["ann"])
    body = admin_client.get(url("d_sales")).json()
    assert body["uid"] == "sales" and body["node_uid"] == "d_sales" and body["name"] == "Sales"
    assert body["parent_node_uid"] == "d_root" and body["node_subject"] == "dept" and body["type"] == "department"
    assert (body["visibility"], body["depth"], body["remark"]) == (1, 1, "money")
    assert body["node_scope"] == [] and body["user_scope"] == ["ann"]
    assert {"uuid", "order", "created", "updated"} <= set(body)
    role = admin_client.get(url("g_role")).json()
    assert role["parent_node_uid"] is None and role["node_subject"] == "role"


def test_patch(admin_client, org):
    body = {"name": "Sales EU", "visibility": 4, "node_scope": ["d_support"], "user_scope": ["Ben"]}
    res = admin_client.patch(url("d_sales"), body, format="json")
    assert res.status_code == 200
    data = res.json()
    assert (data["name"], data["visibility"], data["node_scope"], data["user_scope"]) == (
        "Sales EU",
        4,
        ["d_support"],
        ["ben"],
    )
    assert Event.objects.filter(action=Action.GROUP_UPDATED, actor__username="admin").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": 9}, "visibility"),
        ({"name": ""}, "name"),
        ({"node_scope": ["d_nope"]}, "node_scope"),
        ({"user_scope": ["ghost"]}, "user_scope"),
        ({"node_scope": "d_support"}, "node_scope"),
    ],
)
def test_patch_errors(admin_client, org, body, field):
    res = admin_client.patch(url("d_sales"), body, format="json")
    assert res.status_code == 400
    assert field in res.json()


def test_root_cannot_be_renamed(admin_client):
    res = admin_client.patch(url("d_root"), {"name": "Company"}, format="json")
    assert res.status_code == 400 and "name" in res.json()


def test_delete(admin_client, org):
    assert admin_client.delete(url("d_support")).status_code == 204
    assert not Group.objects.filter(uid="support").exists()
    for node_uid in ("d_sales", "d_north", "d_root"):  # children, members, root
        res = admin_client.delete(url(node_uid))
        assert res.status_code == 400 and "node" in res.json(), node_uid


# --- list and tree -----------------------------------------------------------------------


def test_list_is_flat_and_depth_first(admin_client, org):
    body = admin_client.get(url("d_root", "list/")).json()
    assert [(n["node_uid"], n["parent_node_uid"]) for n in body] == [
        ("d_root", None),
        ("d_sales", "d_root"),
        ("d_north", "d_sales"),
        ("d_north-east", "d_north"),
        ("d_support", "d_root"),
    ]


def test_tree_without_users(admin_client, org):
    body = admin_client.get(url("d_sales", "tree/")).json()
    assert set(body) == {"info", "nodes"}
    assert body["info"]["node_uid"] == "d_sales" and body["info"]["parent_node_uid"] == "d_root"
    north = body["nodes"][0]
    assert north["info"]["node_uid"] == "d_north" and north["info"]["parent_node_uid"] == "d_sales"
    assert north["nodes"][0]["info"]["node_uid"] == "d_north-east" and north["nodes"][0]["nodes"] == []


def test_tree_with_users_and_headcount(admin_client, org):
    body = admin_client.get(url("d_root", "tree/"), {"user_required": "true"}).json()
    assert set(body) == {"info", "users", "nodes", "headcount"}
    assert body["headcount"] == 2 and body["users"] == []
    sales, support = body["nodes"]
    north = sales["nodes"][0]
    assert [u["username"] for u in north["users"]] == ["ann", "ben"]
    assert set(north["users"][0]) == {"uuid", "username", "name"}
    assert (sales["headcount"], north["headcount"], north["nodes"][0]["headcount"], support["headcount"]) == (
        2,
        2,
        1,
        0,
    )


def _grow(org, size: int) -> None:
    parent = org["north_east"]
    for i in range(size):
        child = create_test_group(f"n{i}", parent=parent if i % 2 else org["support"])
        add_member(child, create_test_user(f"grow{size}x{i}"))
        parent = child


@pytest.mark.parametrize("tail", ["tree/?user_required=true", "tree/", "list/"])
def test_tree_queries_do_not_grow_with_size(admin_client, org, django_assert_max_num_queries, tail):
    admin_client.get(url("d_root", tail))  # the token's first use writes last_used; keep it out of the count
    with django_assert_max_num_queries(5) as small:
        assert admin_client.get(url("d_root", tail)).status_code == 200
    _grow(org, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        res = admin_client.get(url("d_root", tail))
    assert res.status_code == 200


def test_tree_with_users_refuses_huge_subtrees(admin_client, org, monkeypatch):
    monkeypatch.setattr(nodes_render, "MAX_TREE_MEMBERSHIPS", 2)
    res = admin_client.get(url("d_root", "tree/"), {"user_required": "true"})
    assert res.status_code == 400 and "user/" in res.json()["user_required"][0]
    assert admin_client.get(url("d_root", "tree/")).status_code == 200


# --- node/<node_uid>/node/ -----------------------------------------------------------------


def test_children_list_and_pagination(admin_client, org):
    body = admin_client.get(url("d_root", "node/")).json()
    assert [n["node_uid"] for n in body] == ["d_sales", "d_support"]
    page = admin_client.get(url("d_root", "node/"), {"page_size": 1}).json()
    assert page["count"] == 2 and [n["node_uid"] for n in page["results"]] == ["d_sales"] and page["next"]


def test_create_child(admin_client, org):
    res = admin_client.post(url("d_sales", "node/"), {"name": "South", "uid": "south", "visibility": 2}, format="json")
    assert res.status_code == 201
    body = res.json()
    assert (body["node_uid"], body["parent_node_uid"], body["visibility"], body["depth"]) == (
        "d_south",
        "d_sales",
        2,
        2,
    )
    res = admin_client.post(url("g_role", "node/"), {"name": "Managers"}, format="json")
    assert res.status_code == 201 and res.json()["node_uid"] == "g_managers"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Dup", "uid": "north"}, 409, "uid"),
        ({"name": ""}, 400, "name"),
        ({"name": "Bad", "uid": "bad uid"}, 400, "uid"),
        ({"name": "Bad", "visibility": 0}, 400, "visibility"),
    ],
)
def test_create_child_errors(admin_client, org, body, status, field):
    res = admin_client.post(url("d_sales", "node/"), body, format="json")
    assert res.status_code == status and field in res.json()


def test_children_patch_add_moves_nodes(admin_client, org):
    res = admin_client.patch(url("d_support", "node/"), {"node_uids": ["d_north"], "subject": "add"}, format="json")
    assert res.status_code == 200 and [n["node_uid"] for n in res.json()] == ["d_north"]
    org["north_east"].refresh_from_db()
    assert org["north_east"].path == f"{org['support'].path}{org['north'].pk}/{org['north_east'].pk}/"


@pytest.mark.parametrize(
    ("target", "body", "field"),
    [
        ("d_north-east", {"node_uids": ["d_sales"], "subject": "add"}, "node"),  # deadlock
        ("g_role", {"node_uids": ["d_sales"], "subject": "add"}, "node"),  # across_scope
        ("d_root", {"node_uids": ["d_nope"], "subject": "add"}, "node_uids"),
        ("d_root", {"node_uids": ["d_north"], "subject": "sort"}, "node_uids"),  # unrelated
        ("d_root", {"node_uids": ["d_sales"], "subject": "flip"}, "subject"),
        ("d_root", {"node_uids": [], "subject": "sort"}, "node_uids"),
    ],
)
def test_children_patch_errors(admin_client, org, target, body, field):
    res = admin_client.patch(url(target, "node/"), body, format="json")
    assert res.status_code == 400 and field in res.json()


def test_children_patch_sort(admin_client, org):
    res = admin_client.patch(url("d_root", "node/"), {"node_uids": ["d_support"], "subject": "sort"}, format="json")
    assert [n["node_uid"] for n in res.json()] == ["d_support", "d_sales"]


# --- node/<node_uid>/user/ -----------------------------------------------------------------


def test_members_list_with_filters(admin_client, org):
    body = admin_client.get(url("d_north", "user/")).json()
    assert body["count"] == 2 and [u["username"] for u in body["results"]] == ["ann", "ben"]
    assert "password" not in body["results"][0]
    assert admin_client.get(url("d_north", "user/"), {"name": "be"}).json()["count"] == 1
    assert admin_client.get(url("d_north", "user/"), {"after_created": "2000-01-01T00:00:00Z"}).json()["count"] == 2
    assert admin_client.get(url("d_north", "user/"), {"before_created": "2000-01-01T00:00:00Z"}).json()["count"] == 0
    res = admin_client.get(url("d_north", "user/"), {"after_created": "yesterday"})
    assert res.status_code == 400 and "after_created" in res.json()


def _patch_members(client, node_uid, **body):
    return client.patch(url(node_uid, "user/"), body, format="json")


def test_members_patch_subjects(admin_client, org):
    carl = create_test_user("carl")
    res = _patch_members(admin_client, "d_support", user_uids=["ann", "CARL"], subject="add")
    assert res.status_code == 200 and [u["username"] for u in res.json()["results"]] == ["ann", "carl"]
    res = _patch_members(admin_client, "d_support", user_uids=["carl"], subject="sort")
    assert [u["username"] for u in res.json()["results"]] == ["carl", "ann"]
    res = _patch_members(admin_client, "d_support", user_uids=["ann"], subject="delete")
    assert [u["username"] for u in res.json()["results"]] == ["carl"]
    res = _patch_members(admin_client, "d_support", user_uids=["ben", "ann"], subject="override")
    assert [u["username"] for u in res.json()["results"]] == ["ben", "ann"]
    res = _patch_members(admin_client, "d_north", user_uids=["ann"], subject="move_out", node_uids=["g_role"])
    assert [u["username"] for u in res.json()["results"]] == ["ben"]
    assert list(Membership.objects.filter(user=org["ann"]).values_list("group__uid", flat=True).order_by("id")) == [
        "north-east",
        "support",
        "role",
    ]
    assert carl.memberships.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_uids": ["ann", "ghost"], "subject": "add"}, "user_uids"),
        ({"user_uids": ["ann"], "subject": "move_out"}, "node_uids"),
        ({"user_uids": ["ann"], "subject": "move_out", "node_uids": ["d_nope"]}, "node_uids"),
        ({"user_uids": ["ann"], "subject": "nope"}, "subject"),
        ({"user_uids": [], "subject": "add"}, "user_uids"),
        ({"subject": "add"}, "user_uids"),
    ],
)
def test_members_patch_errors(admin_client, org, body, field):
    res = admin_client.patch(url("d_north", "user/"), body, format="json")
    assert res.status_code == 400 and field in res.json()
    if field == "user_uids" and "ghost" in body.get("user_uids", []):
        assert "ghost" in res.json()["user_uids"][0]
    assert Membership.objects.count() == 3


def test_membership_patch_is_audited(admin_client, org):
    _patch_members(admin_client, "d_support", user_uids=["ben"], subject="add")
    event = Event.objects.get(action=Action.MEMBERS_ADDED)
    assert event.detail == {"node_uid": "d_support", "users": ["ben"]} and event.actor.username == "admin"


def test_visibility_values_are_v1(admin_client, org):
    res = admin_client.patch(url("d_sales"), {"visibility": Visibility.NOBODY}, format="json")
    assert res.json()["visibility"] == 5
