from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import Action, Event
from apps.directory.models import CustomField, CustomFieldValue, Membership, User
from apps.directory.tests.factories import add_member, create_test_group, create_test_user

pytestmark = pytest.mark.django_db

API = "/siteapi/oneid/"
STRONG = "Correct-Horse-42"
USER_KEYS = {
    "user_id",
    "uuid",
    "username",
    "name",
    "email",
    "private_email",
    "mobile",
    "gender",
    "avatar",
    "position",
    "employee_number",
    "remark",
    "hire_date",
    "origin",
    "origin_verbose",
    "is_active",
    "is_admin",
    "is_settled",
    "require_reset_password",
    "has_password",
    "last_active_time",
    "created",
    "nodes",
    "custom_user",
}


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["username"] for item in response.json()["results"]]


# --- access -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "user/"),
        ("post", "user/"),
        ("get", "user/alice/"),
        ("patch", "user/alice/"),
        ("delete", "user/alice/"),
        ("patch", "user/alice/password/"),
        ("get", "user/alice/node/"),
        ("patch", "user/alice/dept/"),
        ("post", "slice/delete/"),
    ],
)
def test_admin_only(api_client, user_client, method, path):
    assert getattr(api_client, method)(API + path, {}, format="json").status_code == 401
    assert getattr(user_client, method)(API + path, {}, format="json").status_code == 403


def test_mounted_under_both_prefixes(admin_client):
    assert admin_client.get("/siteapi/v1/user/").status_code == 200
    assert admin_client.get("/siteapi/oneid/user/").status_code == 200


# --- create -------------------------------------------------------------------------


def test_create_with_v1_body(admin_client, admin_user):
    dept = create_test_group("研发部", uid="rd")
    role = create_test_group("Dev", uid="dev", type_key="role")
    label = create_test_group("VIP", uid="vip", type_key="label")
    body = {
        "user": {
            "username": "Li.Si",
            "name": "李四",
            "email": "LISI@example.com",
            "mobile": "+86 188 1234 5678",
            "gender": 1,
            "hire_date": "2024-03-01",
            "password": STRONG,
            "require_reset_password": True,
            "user_id": 999,  # read-only keys v1 clients send back are ignored
        },
        "node_uids": ["d_rd", "g_dev"],
        "group_uids": ["vip"],
    }
    response = admin_client.post(API + "user/", body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == USER_KEYS
    assert data["username"] == "li.si"
    assert data["email"] == "lisi@example.com"
    assert data["mobile"] == "+8618812345678"
    assert data["hire_date"] == "2024-03-01"
    assert data["require_reset_password"] is True
    assert data["has_password"] is True
    assert data["origin"] == 1
    assert data["is_settled"] is False
    assert sorted(n["node_uid"] for n in data["nodes"]) == ["d_rd", "g_dev", "g_vip"]
    assert {n["node_uid"]: n["type"] for n in data["nodes"]}["g_vip"] == "label"
    assert data["custom_user"] == {"data": {}, "pretty": []}
    created = User.objects.get(username="li.si")
    assert created.check_password(STRONG)
    assert set(Membership.objects.filter(user=created).values_list("group_id", flat=True)) == {
        dept.pk,
        role.pk,
        label.pk,
    }
    event = Event.objects.get(action=Action.USER_CREATED)
    assert event.actor == admin_user
    assert STRONG not in str(event.changes)


def test_create_with_flat_body_and_dept_uids(admin_client):
    create_test_group("Ops", uid="ops")
    response = admin_client.post(API + "user/", {"username": "wang", "dept_uids": ["ops"]}, format="json")
    assert response.status_code == 201, response.content
    assert [n["node_uid"] for n in response.json()["nodes"]] == ["d_ops"]
    assert response.json()["has_password"] is False


def test_create_rejects_unknown_or_mistyped_node_uids(admin_client):
    create_test_group("Ops", uid="ops")
    create_test_group("Dev", uid="dev", type_key="role")
    body = {"user": {"username": "zhao"}, "node_uids": ["d_ops", "d_dev", "g_nope", "x"], "dept_uids": ["dev"]}
    response = admin_client.post(API + "user/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "node_uids": ["Unknown node(s): d_dev, g_nope, x."],
        "dept_uids": ["Unknown node(s): dev."],
    }
    assert not User.objects.filter(username="zhao").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": {"username": "bad name"}}, "username"),
        ({"user": {"name": "no username"}}, "username"),
        ({"user": {"username": "ok", "email": "nope"}}, "email"),
        ({"user": {"username": "ok", "mobile": "123"}}, "mobile"),
        ({"user": {"username": "ok", "gender": "x"}}, "gender"),
        ({"user": {"username": "ok", "hire_date": "yesterday"}}, "hire_date"),
        ({"user": {"username": "ok", "password": "password"}}, "password"),
        ({"user": "ok"}, "user"),
        ({"user": {"username": "ok"}, "node_uids": "d_root,"}, None),
        ({"user": {"username": "ok"}, "node_uids": [1]}, "node_uids"),
    ],
)
def test_create_validation_errors(admin_client, body, field):
    response = admin_client.post(API + "user/", body, format="json")
    if field is None:  # a comma string of node uids is accepted too
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_create_duplicate_is_a_field_error(admin_client):
    create_test_user("taken", email="t@example.com")
    response = admin_client.post(
        API + "user/", {"user": {"username": "Taken", "email": "T@example.com"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "username": ["A user with this username already exists."],
        "email": ["A user with this email already exists."],
    }


# --- detail, update, delete ------------------------------------------------------------


def test_detail_update_delete(admin_client, admin_user):
    bob = create_test_user("bob", name="Bob")
    assert admin_client.get(API + "user/BOB/").json()["name"] == "Bob"
    assert admin_client.get(API + "user/nobody/").status_code == 404

    response = admin_client.patch(
        API + "user/bob/", {"user": {"name": "Robert", "remark": "新备注", "is_active": False}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["remark"], response.json()["is_active"]) == (
        "Robert",
        "新备注",
        False,
    )
    assert Event.objects.get(action=Action.USER_UPDATED).changes["name"] == ["Bob", "Robert"]

    response = admin_client.patch(API + "user/bob/", {"username": "robert"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()

    assert admin_client.delete(API + "user/bob/").status_code == 204
    assert not User.objects.filter(pk=bob.pk).exists()
    assert admin_client.delete(API + "user/bob/").status_code == 404


def test_cannot_delete_yourself_through_the_api(admin_client):
    response = admin_client.delete(API + "user/admin/")
    assert response.status_code == 400
    assert response.json() == {"detail": "You cannot delete yourself.", "code": "self"}


def test_admin_sets_password(admin_client):
    carol = create_test_user("carol")
    response = admin_client.patch(
        API + "user/carol/password/", {"password": STRONG, "require_reset_password": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["require_reset_password"] is True
    carol.refresh_from_db()
    assert carol.check_password(STRONG)
    assert Event.objects.filter(action=Action.USER_PASSWORD_SET, target_id=str(carol.pk)).count() == 1

    response = admin_client.patch(API + "user/carol/password/", {"password": "carol"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()
    response = admin_client.patch(
        API + "user/carol/password/", {"password": STRONG, "require_reset_password": "yes"}, format="json"
    )
    assert response.status_code == 400


# --- memberships ------------------------------------------------------------------------


def test_user_node_endpoints(admin_client):
    dave = create_test_user("dave")
    sales, ops = create_test_group("Sales", uid="sales"), create_test_group("Ops", uid="ops")
    role = create_test_group("Lead", uid="lead", type_key="role")
    add_member(sales, dave)
    add_member(role, dave)

    assert admin_client.get(API + "user/dave/dept/").json() == {
        "depts": [{"node_uid": "d_sales", "uid": "sales", "name": "Sales", "type": "department"}]
    }
    assert [n["node_uid"] for n in admin_client.get(API + "user/dave/node/").json()["nodes"]] == ["d_sales", "g_lead"]

    # override on dept/ replaces departments only; the role stays
    response = admin_client.patch(API + "user/dave/dept/", {"dept_uids": ["ops"], "subject": "override"}, format="json")
    assert response.status_code == 200, response.content
    assert [n["uid"] for n in response.json()["depts"]] == ["ops"]
    assert set(Membership.objects.filter(user=dave).values_list("group_id", flat=True)) == {ops.pk, role.pk}

    response = admin_client.patch(
        API + "user/dave/group/", {"group_uids": ["lead"], "subject": "delete"}, format="json"
    )
    assert response.json() == {"groups": []}

    response = admin_client.patch(API + "user/dave/node/", {"node_uids": ["d_sales"], "subject": "add"}, format="json")
    assert sorted(n["node_uid"] for n in response.json()["nodes"]) == ["d_ops", "d_sales"]
    assert Event.objects.filter(action=Action.MEMBERS_REMOVED).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"node_uids": ["d_root"], "subject": "sort"}, "subject"),
        ({"subject": "add"}, "node_uids"),
        ({"node_uids": ["d_missing"], "subject": "add"}, "node_uids"),
    ],
)
def test_user_node_patch_errors(admin_client, body, field):
    create_test_user("erin")
    response = admin_client.patch(API + "user/erin/node/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


# --- bulk delete -------------------------------------------------------------------------


def test_bulk_delete(admin_client):
    create_test_user("ivy"), create_test_user("jack")
    response = admin_client.post(API + "slice/delete/", {"user_uids": ["ivy", "ghost", "jack"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"user_uids": ["Unknown users: ghost."]}
    assert User.objects.filter(username__in=["ivy", "jack"]).count() == 2

    response = admin_client.post(API + "slice/delete/", {"user_uids": ["ivy", "jack", "admin"]}, format="json")
    assert response.status_code == 400
    assert User.objects.filter(username__in=["ivy", "jack"]).count() == 2

    assert admin_client.post(API + "slice/delete/", {"user_uids": ["IVY", "jack"]}, format="json").status_code == 204
    assert not User.objects.filter(username__in=["ivy", "jack"]).exists()
    assert admin_client.post(API + "slice/delete/", {}, format="json").status_code == 400


# --- list and filters ----------------------------------------------------------------------


@pytest.fixture
def people(admin_user):
    company = create_test_group("Company", uid="company")
    rd = create_test_group("R&D", uid="rd", parent=company)
    backend = create_test_group("Backend", uid="backend", parent=rd)
    role = create_test_group("Lead", uid="lead", type_key="role")
    users = {
        "amy": create_test_user("amy", name="Amy Li", email="amy@corp.com", gender=2, employee_number="E001"),
        "ben": create_test_user("ben", name="Ben Wang", mobile="+8618800000001", gender=1, remark="on leave"),
        "cat": create_test_user("cat", name="张猫", private_email="cat@home.net", is_active=False),
        "dan": create_test_user("dan", name="Dan", employee_number="E002"),
    }
    add_member(company, users["amy"])
    add_member(rd, users["ben"])
    add_member(backend, users["cat"])
    add_member(role, users["dan"])
    old = timezone.now() - dt.timedelta(days=10)
    User.objects.filter(username="dan").update(created=old, last_active_time=old)
    return users


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["admin", "amy", "ben", "cat", "dan"]),
        ("keyword=li", ["amy"]),
        ("keyword=E00", ["amy", "dan"]),
        ("keyword=1880000", ["ben"]),
        ("keyword=home.net", ["cat"]),
        ("name=Dan", ["dan"]),
        ("name__icontains=WANG", ["ben"]),
        ("name__icontains=猫", ["cat"]),
        ("username=AMY", ["amy"]),
        ("email=Amy@Corp.com", ["amy"]),
        ("private_email__icontains=home", ["cat"]),
        ("mobile=18800000001", ["ben"]),
        ("mobile__icontains=0000", ["ben"]),
        ("remark__icontains=leave", ["ben"]),
        ("gender=2", ["amy"]),
        ("is_active=false", ["cat"]),
        ("user_ids=__amy__,__dan__", ["amy", "dan"]),
        ("usernames=amy,BEN", ["amy", "ben"]),
        ("group_uids=d_company", ["amy"]),
        ("group_uids=d_company&descendants=true", ["amy", "ben", "cat"]),
        ("group_uids=d_rd,g_lead&descendants=true", ["ben", "cat", "dan"]),
        ("group_uids=lead", ["dan"]),
        ("-group_uids=d_company&descendants=true", ["admin", "dan"]),
        ("-group_uids=d_rd", ["admin", "amy", "cat", "dan"]),
        ("sort=-username", ["dan", "cat", "ben", "amy", "admin"]),
        ("sort=name&keyword=a", ["admin", "amy", "ben", "dan", "cat"]),
        ("last_active_time__lte=__past__", ["dan"]),
        ("created__lte=__past__", ["dan"]),
        ("created__gte=__past__", ["admin", "amy", "ben", "cat"]),
        ("keyword=a&gender=1", ["ben"]),
    ],
)
def test_list_filters(admin_client, people, query, expected):
    past = (timezone.now() - dt.timedelta(days=5)).date().isoformat()
    query = query.replace("__past__", past)
    query = query.replace("__amy__", str(people["amy"].pk)).replace("__dan__", str(people["dan"].pk))
    assert usernames(admin_client.get(API + "user/?" + query)) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("gender=x", "gender"),
        ("gender=5", "gender"),
        ("is_active=maybe", "is_active"),
        ("user_ids=1,a", "user_ids"),
        ("created__gte=last-week", "created__gte"),
        ("last_active_time__lte=2024-13-45", "last_active_time__lte"),
        ("sort=password", "sort"),
        ("group_uids=d_nope", "group_uids"),
        ("-group_uids=g_nope", "-group_uids"),
        ("descendants=perhaps&group_uids=d_root", "descendants"),
        ("00000000000000000000000000000000__custom=1", "00000000000000000000000000000000__custom"),
    ],
)
def test_bad_filter_values_are_400(admin_client, query, field):
    response = admin_client.get(API + "user/?" + query)
    assert response.status_code == 400
    assert field in response.json()


def test_list_shape_and_pagination(admin_client, people):
    response = admin_client.get(API + "user/?page_size=2&sort=username")
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 5
    assert [u["username"] for u in data["results"]] == ["admin", "amy"]
    assert set(data["results"][0]) == USER_KEYS
    amy = data["results"][1]
    assert amy["nodes"] == [{"node_uid": "d_company", "uid": "company", "name": "Company", "type": "department"}]


def test_list_query_count_does_not_grow_with_the_page(admin_client):
    field = CustomField.objects.create(name="Desk")
    dept = create_test_group("Dept")

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(API + "user/?page_size=100").status_code == 200
        return len(queries)

    for i in range(3):
        add_member(dept, create_test_user(f"few{i}"))
    page_queries()  # the first request also records the token's last use
    few = page_queries()
    for i in range(40):
        u = create_test_user(f"many{i}")
        add_member(dept, u)
        CustomFieldValue.objects.create(user=u, field=field, value=str(i))
    assert page_queries() == few
