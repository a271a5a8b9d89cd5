"""The address book (``ucenter/…``): what an employee sees of groups and colleagues."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.directory.models import Visibility
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from conftest import issue_test_token

pytestmark = pytest.mark.django_db

API = "/siteapi/v1/ucenter/"


@pytest.fixture
def org():
    """company(1) > eng(2: members) > backend(1); company > secret(5) > vault(5); company > hr(3)."""
    company = create_test_group("Company", uid="company", remark="HQ")
    eng = create_test_group("Engineering", uid="eng", parent=company, visibility=Visibility.MEMBERS, remark="code")
    backend = create_test_group("Backend", uid="backend", parent=eng)
    secret = create_test_group("Secret", uid="secret", parent=company, visibility=Visibility.NOBODY)
    create_test_group("Vault", uid="vault", parent=secret, visibility=Visibility.NOBODY)
    create_test_group("HR", uid="hr", parent=company, visibility=Visibility.MEMBERS_AND_DESCENDANTS)
    people = {
        "emp": create_test_user("emp", name="Emp", email="emp@example.com", position="Dev"),
        "peer": create_test_user("peer", name="Peer", mobile="+8613800000002"),
        "boss": create_test_user("boss", name="Boss"),
        "gone": create_test_user("gone", name="Gone", is_active=False),
        "spy": create_test_user("spy", name="Spy"),
    }
    add_member(backend, people["emp"], order=0)
    add_member(backend, people["peer"], order=1)
    add_member(backend, people["gone"], order=2)
    add_member(eng, people["boss"])
    add_member(secret, people["spy"])
    return {"company": company, "eng": eng, "backend": backend, "secret": secret, **people}


@pytest.fixture
def emp_client(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_test_token(org['emp'])}")
    return client


def test_anonymous_is_refused(api_client, org):
    for path in ("node/d_company/", "node/d_company/tree/", "node/d_company/user/", "user/peer/", "search/?keyword=p"):
        assert api_client.get(API + path).status_code == 401, path


def test_user_held_at_password_change_is_refused(org):
    org["emp"].must_reset_password = True
    org["emp"].save(update_fields=["must_reset_password"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_test_token(org['emp'])}")
    res = client.get(API + "node/d_company/")
    assert res.status_code == 403 and res.json()["code"] == "password_change_required"


def test_node_states(emp_client):
    visible = emp_client.get(API + "node/d_company/").json()
    assert visible == {
        "uid": "company",
        "node_uid": "d_company",
        "node_subject": "dept",
        "name": "Company",
        "remark": "HQ",
        "state": "visible",
    }
    name_only = emp_client.get(API + "node/d_eng/").json()
    assert name_only == {
        "uid": "eng",
        "node_uid": "d_eng",
        "node_subject": "dept",
        "name": "Engineering",
        "state": "name_only",
    }
    for hidden in ("d_secret", "d_vault", "d_hr", "d_nope", "g_company"):
        assert emp_client.get(API + f"node/{hidden}/").status_code == 404, hidden


def test_admin_sees_everything(admin_client, org):
    assert admin_client.get(API + "node/d_secret/").json()["state"] == "visible"
    assert admin_client.get(API + "user/spy/").status_code == 200
    tree = admin_client.get(API + "node/d_company/tree/").json()
    assert [n["info"]["uid"] for n in tree["nodes"]] == ["eng", "secret", "hr"]


def test_tree_prunes_hidden_and_names_only(emp_client):
    tree = emp_client.get(API + "node/d_company/tree/").json()
    assert set(tree) == {"info", "nodes"}
    assert [n["info"]["uid"] for n in tree["nodes"]] == ["eng"]
    eng = tree["nodes"][0]
    assert eng["info"]["state"] == "name_only" and "remark" not in eng["info"]
    assert [n["info"]["uid"] for n in eng["nodes"]] == ["backend"]
    assert eng["nodes"][0]["info"]["state"] == "visible"


def test_tree_with_users_shows_members_of_visible_nodes_only(emp_client):
    tree = emp_client.get(API + "node/d_company/tree/", {"user_required": "true"}).json()
    eng = tree["nodes"][0]
    backend = eng["nodes"][0]
    assert eng["users"] == []  # boss sits in eng, which emp sees by name only
    assert [u["username"] for u in backend["users"]] == ["emp", "peer"]  # not the inactive one
    assert (tree["headcount"], eng["headcount"], backend["headcount"]) == (2, 2, 2)


def test_tree_of_hidden_node_is_404(emp_client):
    assert emp_client.get(API + "node/d_secret/tree/").status_code == 404


def test_tree_query_count_is_fixed(emp_client, org, django_assert_max_num_queries):
    path = API + "node/d_company/tree/?user_required=true"
    emp_client.get(path)  # first token use writes last_used
    with django_assert_max_num_queries(7) as small:
        emp_client.get(path)
    parent = org["backend"]
    for i in range(30):
        parent = create_test_group(f"t{i}", parent=parent, visibility=(i % 5) + 1)
        add_member(parent, create_test_user(f"t{i}"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert emp_client.get(path).status_code == 200


def test_members_of_visible_node(emp_client):
    body = emp_client.get(API + "node/d_backend/user/").json()
    assert body["count"] == 2
    assert body["results"][1] == {
        "username": "peer",
        "name": "Peer",
        "email": "",
        "mobile": "+8613800000002",
        "position": "",
        "employee_number": "",
        "avatar": "",
        "gender": 0,
    }
    assert emp_client.get(API + "node/d_eng/user/").status_code == 403  # name only
    assert emp_client.get(API + "node/d_secret/user/").status_code == 404


def test_colleague_card(emp_client):
    card = emp_client.get(API + "user/peer/").json()
    assert card["username"] == "peer" and card["mobile"] == "+8613800000002"
    assert [n["node_uid"] for n in card["nodes"]] == ["d_backend"]
    assert not {"is_admin", "private_email", "remark", "password", "last_active_time"} & set(card)
    assert emp_client.get(API + "user/PEER/").status_code == 200
    assert emp_client.get(API + "user/emp/").status_code == 200  # oneself
    for hidden in ("boss", "spy", "gone", "nobody"):
        assert emp_client.get(API + f"user/{hidden}/").status_code == 404, hidden


def test_search_returns_visible_colleagues_only(emp_client):
    body = emp_client.get(API + "search/", {"keyword": "e"}).json()
    assert [u["username"] for u in body["results"]] == ["emp", "peer"]
    assert emp_client.get(API + "search/", {"keyword": "boss"}).json()["count"] == 0
    assert emp_client.get(API + "search/", {"keyword": "13800000002"}).json()["count"] == 1
    res = emp_client.get(API + "search/")
    assert res.status_code == 400 and "keyword" in res.json()
