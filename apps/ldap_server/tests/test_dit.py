"""The pure parts: entry mapping, DN handling, matching rules and filter evaluation (no socket)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from apps.ldap_server import dit, filters, matching

BASE = "dc=example,dc=org"
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def user_row(pk: int, username: str, **fields) -> dict:
    return {
        "id": pk,
        "uuid": uuid.uuid4(),
        "username": username,
        "name": fields.pop("name", username.title()),
        "email": fields.pop("email", ""),
        "mobile": fields.pop("mobile", ""),
        "employee_number": "",
        "position": "",
        "is_active": True,
        "created": NOW,
        "updated": NOW,
        **fields,
    }


def group_row(pk: int, uid: str, parent_id, path: str, type_key: str = "department") -> dict:
    return {"id": pk, "uuid": uuid.uuid4(), "uid": uid, "name": uid.title(), "parent_id": parent_id,
            "path": path, "type__key": type_key, "created": NOW, "updated": NOW}  # fmt: skip


@pytest.fixture
def view() -> dit.DirectoryView:
    view = dit.DirectoryView(BASE, posix=True)
    users = [user_row(1, "ann", email="Ann@X.org"), user_row(2, "ben", mobile="+86 138-0000")]
    groups = [
        group_row(10, "root", None, "/10/"),
        group_row(11, "eng", 10, "/10/11/"),
        group_row(12, "web", 11, "/10/11/12/"),
        group_row(20, "role", None, "/20/", "role"),
        group_row(21, "ops", 20, "/20/21/", "role"),
    ]
    view.load((users, groups, [(12, 1), (21, 1), (21, 2)]))
    return view


def test_tree_layout(view):
    assert view.get(f"cn=web,cn=eng,ou=dept,{BASE}") is not None
    assert view.get(f"cn=ops,ou=role,ou=group,{BASE}") is not None
    assert view.get(f"ou=role,ou=group,{BASE}").kind == "static"
    ann = view.get(f"UID=Ann, OU=People,{BASE}")
    assert ann.attrs["uidnumber"][1] == ["10001"]
    assert view.member_of_dns(ann) == [f"cn=web,cn=eng,ou=dept,{BASE}", f"cn=ops,ou=role,ou=group,{BASE}"]
    assert view.get(f"cn=eng,ou=dept,{BASE}").attrs["hassubordinates"][1] == ["TRUE"]


def test_incremental_updates(view):
    view.put_user(2, None, [])  # deleted
    assert view.get(f"uid=ben,ou=people,{BASE}") is None
    assert view.member_dns(view.get(f"cn=ops,ou=role,ou=group,{BASE}")) == [f"uid=ann,ou=people,{BASE}"]
    view.put_group(12, group_row(12, "frontend", 11, "/10/11/12/"), [1])  # renamed uid
    assert view.get(f"cn=web,cn=eng,ou=dept,{BASE}") is None
    assert f"cn=frontend,cn=eng,ou=dept,{BASE}" in view.member_of_dns(view.get(f"uid=ann,ou=people,{BASE}"))
    view.put_group(11, group_row(11, "rnd", 10, "/10/11/"), [])  # the parent renamed: the subtree follows
    assert view.get(f"cn=frontend,cn=rnd,ou=dept,{BASE}") is not None
    assert view.index["uid"].get("ben") is None


def test_escaping_and_dn_normalisation():
    assert dit.escape_rdn("a,b+c") == "a\\,b\\+c"
    assert dit.escape_rdn(" x ") == "\\ x\\ "
    assert matching.normalize_dn("CN=A\\,B ,  DC=Org") == "cn=a\\,b,dc=org"
    assert matching.unescape("a\\2cb\\20") == "a,b "


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (("eq", "mail", "ann@x.ORG"), True),
        (("eq", "mobile", "+8613800000"), False),
        (("sub", "cn", "a", [], None), True),
        (("sub", "memberOf", "cn", [], None), None),  # no substrings rule for DNs: Undefined
        (("not", ("sub", "memberOf", "cn", [], None)), None),
        (("ge", "uidNumber", "10001"), True),
        (("le", "uidNumber", "9"), False),
        (("ge", "uidNumber", "x"), None),
        (("present", "memberOf"), True),
        (("eq", "userPassword", "x"), None),
        (("or", [("eq", "uid", "x"), ("eq", "uid", "ann")]), True),
    ],
)
def test_evaluation(view, flt, expected):
    assert filters.evaluate(view, view.get(f"uid=ann,ou=people,{BASE}"), filters.prepare(flt)) is expected


def test_candidates_use_the_indexes(view):
    assert filters.candidates(view, filters.prepare(("eq", "uid", "ANN"))) == {f"uid=ann,ou=people,{BASE}"}
    both = ("and", [("present", "cn"), ("eq", "memberOf", f"cn=ops,ou=role,ou=group,{BASE}")])
    assert filters.candidates(view, filters.prepare(both)) == {f"uid=ann,ou=people,{BASE}", f"uid=ben,ou=people,{BASE}"}
    assert filters.candidates(view, filters.prepare(("or", [("eq", "uid", "ann"), ("present", "cn")]))) is None


def test_posix_attributes(view):
    ops = view.get(f"cn=ops,ou=role,ou=group,{BASE}")
    dynamic = dict(view.dynamic_values(ops))
    assert sorted(dynamic["memberUid"]) == ["ann", "ben"]
    assert ops.attrs["gidnumber"][1] == ["20021"]
    assert "posixGroup" in ops.attrs["objectclass"][1]
    ann = view.get(f"uid=ann,ou=people,{BASE}")
    assert ann.attrs["homedirectory"][1] == ["/home/ann"]
    assert filters.evaluate(view, ops, filters.prepare(("eq", "memberUid", "ANN"))) is True


def test_time_limit_and_missing_base():
    from apps.ldap_server import search
    from apps.ldap_server.auth import Principal
    from apps.ldap_server.protocol import Result, Scope, SearchRequest

    view = dit.DirectoryView(BASE)
    view.load(([user_row(i, f"u{i}") for i in range(1, 600)], [group_row(10, "root", None, "/10/")], []))
    request = SearchRequest(BASE, Scope.SUB, 0, 0, False, ("present", "objectClass"), [])
    admin = Principal("admin", f"cn=admin,{BASE}")
    assert len(search.find(view, admin, request, time_limit=0)) == 599 + 4  # users + base, people, dept, group
    with pytest.raises(search.SearchError) as exc:
        search.find(view, admin, request, time_limit=1e-9)  # already past after the first 256 entries
    assert exc.value.code == Result.TIME_LIMIT_EXCEEDED
    request.base = f"ou=x,ou=people,{BASE}"
    with pytest.raises(search.SearchError) as exc:
        search.find(view, admin, request, time_limit=0)
    assert (exc.value.code, exc.value.matched) == (Result.NO_SUCH_OBJECT, f"ou=people,{BASE}")
    hidden = Principal("user", "uid=u1,ou=people," + BASE, users=frozenset({1}), groups=frozenset())
    request.base = BASE
    found = search.find(view, hidden, request, time_limit=0)
    assert [k for k in found if k.startswith("uid=")] == [f"uid=u1,ou=people,{BASE}"]
