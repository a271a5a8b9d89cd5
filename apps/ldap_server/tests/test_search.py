"""Searches against a live server with ldap3: filters, scopes, attributes, paging, limits."""

from __future__ import annotations

import ldap3
import pytest
from ldap3.core.exceptions import LDAPInvalidFilterError

from apps.ldap_server.tests.conftest import BASE, PEOPLE, connect


def uids(conn, flt, base=PEOPLE, scope=ldap3.SUBTREE) -> set[str]:
    conn.search(base, flt, search_scope=scope, attributes=["uid"])
    return {str(e.uid) for e in conn.entries if e.uid.values}


def test_equality_is_case_insensitive_and_only_active_users_appear(tree, live_ldap):
    conn = connect(live_ldap)
    assert uids(conn, "(uid=ALICE)") == {"alice"}
    assert uids(conn, "(mail=alice@example.ORG)") == {"alice"}
    assert uids(conn, "(objectClass=inetOrgPerson)") == {"alice", "bob", "carol"}
    assert uids(conn, "(uid=dave)") == set()


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("(&(objectClass=person)(|(uid=alice)(uid=bob)))", {"alice", "bob"}),
        ("(!(uid=alice))", {"bob", "carol"}),
        ("(cn=*Stone)", {"bob"}),
        ("(cn=Al*)", {"alice"}),
        ("(cn=*li*ll*)", {"alice"}),
        ("(mail=*)", {"alice", "bob", "carol"}),
        ("(mobile=*)", {"alice"}),
        ("(mobile=+86 138-0000-0001)", {"alice"}),
        ("(employeeNumber>=E2)", {"bob"}),
        ("(employeeNumber<=E10)", {"alice", "carol"}),
        ("(uid~=carol)", {"carol"}),
        ("(cn=Alice\\20Liddell)", {"alice"}),
        ("(uid:caseExactMatch:=alice)", {"alice"}),
        ("(uid:2.5.13.2:=ALICE)", {"alice"}),
        ("(ou:dn:=people)", {"alice", "bob", "carol"}),
        ("(&(uid=alice)(nosuchattr=x))", set()),
        ("(!(nosuchattr=x))", {"alice", "bob", "carol"}),
    ],
)
def test_filter_forms(tree, live_ldap, flt, expected):
    assert uids(connect(live_ldap), flt) == expected


def test_unknown_matching_rule_is_refused(tree, live_ldap):
    conn = connect(live_ldap)
    conn.search(PEOPLE, "(uid:1.2.3.4:=alice)", attributes=["uid"])
    assert conn.result["result"] == 18  # inappropriateMatching


def test_member_of_and_member(tree, live_ldap):
    conn = connect(live_ldap)
    eng_dn = f"cn=eng,ou=dept,{BASE}"
    admins_dn = f"cn=admins,ou=role,ou=group,{BASE}"
    assert uids(conn, f"(memberOf={eng_dn})") == {"alice"}
    assert uids(conn, f"(memberOf=CN=Admins,OU=Role,OU=Group,{BASE.upper()})") == {"alice", "carol"}
    conn.search(BASE, f"(member=uid=bob,{PEOPLE})", attributes=["cn"])
    assert [e.entry_dn for e in conn.entries] == [f"cn=backend,cn=eng,ou=dept,{BASE}"]
    conn.search(f"uid=alice,{PEOPLE}", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["memberOf"])
    assert {str(v) for v in conn.entries[0].memberOf} == {eng_dn, admins_dn}
    conn.search(admins_dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["member", "cn"])
    assert {str(v) for v in conn.entries[0].member} == {f"uid=alice,{PEOPLE}", f"uid=carol,{PEOPLE}"}
    assert set(conn.entries[0].cn.values) == {"admins", "Admins"}


def test_scopes(tree, live_ldap):
    conn = connect(live_ldap)
    dept = f"ou=dept,{BASE}"
    conn.search(dept, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["1.1"])
    assert [e.entry_dn for e in conn.entries] == [dept]
    conn.search(dept, "(objectClass=*)", search_scope=ldap3.LEVEL, attributes=["1.1"])
    assert [e.entry_dn for e in conn.entries] == [f"cn=eng,{dept}"]
    conn.search(dept, "(objectClass=*)", search_scope=ldap3.SUBTREE, attributes=["1.1"])
    assert {e.entry_dn for e in conn.entries} == {dept, f"cn=eng,{dept}", f"cn=backend,cn=eng,{dept}"}
    conn.search(f"ou=nowhere,{dept}", "(objectClass=*)")
    assert conn.result["result"] == 32
    assert conn.result["dn"] == dept  # matchedDN


def test_attribute_lists_and_types_only(tree, live_ldap):
    conn = connect(live_ldap)
    dn = f"uid=alice,{PEOPLE}"
    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["*"])
    attrs = set(conn.response[0]["raw_attributes"])
    assert {"uid", "cn", "sn", "mail", "mobile", "title", "employeeNumber", "memberOf"} <= attrs
    assert "entryUUID" not in attrs and "userPassword" not in attrs
    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["+"])
    attrs = set(conn.response[0]["raw_attributes"])
    assert {"entryUUID", "createTimestamp", "entryDN"} <= attrs and "uid" not in attrs
    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["1.1"])
    assert conn.response[0]["raw_attributes"] == {}
    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["uid", "userPassword"])
    assert {name for name, values in conn.response[0]["raw_attributes"].items() if values} == {"uid"}
    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["uid"], types_only=True)
    assert list(conn.response[0]["raw_attributes"]) == ["uid"]
    assert not conn.response[0]["raw_attributes"]["uid"]


def test_paged_results(tree, live_ldap):
    conn = connect(live_ldap)
    seen = []
    cookie = None
    pages = 0
    while True:
        conn.search(PEOPLE, "(uid=*)", attributes=["uid"], paged_size=2, paged_cookie=cookie)
        assert conn.result["result"] == 0
        seen += [str(e.uid) for e in conn.entries]
        pages += 1
        cookie = conn.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
        if not cookie:
            break
    assert pages == 2 and sorted(seen) == ["alice", "bob", "carol"]


def test_size_limit(tree, live_ldap):
    conn = connect(live_ldap)
    conn.search(PEOPLE, "(uid=*)", attributes=["uid"], size_limit=2)
    assert conn.result["result"] == 4 and len(conn.entries) == 2


def test_root_dse_and_subschema(tree, live_ldap):
    server = ldap3.Server("127.0.0.1", port=live_ldap.port, get_info=ldap3.ALL)
    conn = ldap3.Connection(server, user=f"cn=admin,{BASE}", password="admin-secret", auto_bind=True)
    assert BASE in server.info.naming_contexts
    assert "1.2.840.113556.1.4.319" in [c[0] for c in server.info.supported_controls]
    assert "memberOf" in server.schema.attribute_types
    conn.unbind()


def test_root_dse_is_readable_without_a_bind(live_ldap):
    server = ldap3.Server("127.0.0.1", port=live_ldap.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(server, auto_bind=False, raise_exceptions=False)
    conn.open()
    conn.search("", "(objectClass=*)", search_scope=ldap3.BASE, attributes=["namingContexts", "supportedExtension"])
    assert conn.entries[0].namingContexts.values == [BASE]
    assert "1.3.6.1.4.1.4203.1.11.3" in conn.entries[0].supportedExtension.values


def test_compare(tree, live_ldap):
    conn = connect(live_ldap)
    dn = f"uid=alice,{PEOPLE}"
    assert conn.compare(dn, "mail", "ALICE@example.org") is True
    assert conn.compare(dn, "uid", "bob") is False
    conn.compare(dn, "userPassword", "x")
    assert conn.result["result"] == 50
    conn.compare(f"uid=nobody,{PEOPLE}", "uid", "x")
    assert conn.result["result"] == 32


def test_writes_are_refused(tree, live_ldap):
    conn = connect(live_ldap)
    conn.add(f"uid=new,{PEOPLE}", "inetOrgPerson", {"cn": "n", "sn": "n"})
    assert conn.result["result"] == 53
    conn.modify(f"uid=alice,{PEOPLE}", {"cn": [(ldap3.MODIFY_REPLACE, ["x"])]})
    assert conn.result["result"] == 53
    conn.delete(f"uid=alice,{PEOPLE}")
    assert conn.result["result"] == 53
    conn.modify_dn(f"uid=alice,{PEOPLE}", "uid=alicia")
    assert conn.result["result"] == 53


def test_bad_filter_is_a_client_error(live_ldap):
    conn = connect(live_ldap)
    with pytest.raises(LDAPInvalidFilterError):
        conn.search(PEOPLE, "(uid=alice")
