"""Binds: admin, app service accounts, users, anonymous; visibility; audit; WhoAmI."""

from __future__ import annotations

import ldap3
import pytest

from apps.audit.models import Action, Event
from apps.directory.models import Visibility
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.ldap_server.ber import enc_int, enc_seq, enc_str
from apps.ldap_server.protocol import decode_message, envelope
from apps.ldap_server.tests.conftest import BASE, PEOPLE, raw_exchange
from apps.permissions.actions.apps import create_app, update_app


def bind(live, user, password):
    live.sync()
    server = ldap3.Server("127.0.0.1", port=live.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(server, user=user, password=password, raise_exceptions=False)
    conn.bind()
    return conn


def visible_uids(conn) -> set[str]:
    conn.search(PEOPLE, "(uid=*)", attributes=["uid"])
    return {str(e.uid) for e in conn.entries}


def test_admin_bind_and_whoami(tree, live_ldap):
    conn = bind(live_ldap, f"cn=admin,{BASE}", "admin-secret")
    assert conn.bound
    assert conn.extend.standard.who_am_i() == f"dn:cn=admin,{BASE}"
    assert visible_uids(conn) == {"alice", "bob", "carol"}
    assert Event.objects.filter(action=Action.LDAP_BIND_SUCCEEDED, actor_name=f"cn=admin,{BASE}").exists()


@pytest.mark.parametrize(
    ("user", "password"),
    [
        (f"cn=admin,{BASE}", "wrong"),
        (f"uid=alice,{PEOPLE}", "wrong"),
        (f"uid=nobody,{PEOPLE}", "Passw0rd!x"),
        (f"uid=dave,{PEOPLE}", "Passw0rd!x"),  # inactive
        ("cn=someone,dc=elsewhere", "x"),
        (f"cn=ghost,ou=apps,{BASE}", "x"),
    ],
)
def test_bad_credentials_are_one_error_and_audited(tree, live_ldap, user, password):
    conn = bind(live_ldap, user, password)
    assert not conn.bound and conn.result["result"] == 49
    assert Event.objects.filter(action=Action.LDAP_BIND_FAILED, actor_name=user).exists()


def test_unauthenticated_and_anonymous_binds(tree, live_ldap, settings):
    live_ldap.sync()
    # ldap3 will not send a DN with an empty password, so send it by hand
    reply = raw_exchange(live_ldap.port, envelope(1, enc_seq(enc_int(3), enc_str(f"uid=alice,{PEOPLE}"),
                                                             enc_str(b"", tag=0x80), tag=0x60)))  # fmt: skip
    assert decode_message(reply).op.items()[0].as_int() == 53  # unwillingToPerform (RFC 4513 5.1.2)
    anon = ldap3.Connection(ldap3.Server("127.0.0.1", port=live_ldap.port, get_info=ldap3.NONE))
    anon.bind()
    assert anon.result["result"] == 48
    anon.search(PEOPLE, "(uid=*)")
    assert anon.result["result"] == 50
    settings.LDAP_ALLOW_ANONYMOUS = True
    anon = ldap3.Connection(ldap3.Server("127.0.0.1", port=live_ldap.port, get_info=ldap3.NONE))
    assert anon.bind()
    assert visible_uids(anon) == {"alice", "bob", "carol"}


def test_user_bind_sees_per_visibility(tree, live_ldap):
    hidden = create_test_group("Secret", uid="secret", visibility=Visibility.NOBODY)
    eve = create_test_user("eve", name="Eve")
    add_member(hidden, eve)
    tree["eng"].visibility = Visibility.MEMBERS
    tree["eng"].save()
    conn = bind(live_ldap, f"uid=bob,{PEOPLE}", "Passw0rd!x")
    assert conn.bound
    assert conn.extend.standard.who_am_i() == f"dn:uid=bob,{PEOPLE}"
    # bob sees himself (backend is open to everyone) and the admins role's members (alice, carol),
    # but neither the eng department (members only) nor eve (only in a hidden group)
    assert visible_uids(conn) == {"alice", "bob", "carol"}
    conn.search(BASE, "(cn=secret)", attributes=["cn"])
    assert conn.entries == []
    conn.search(BASE, "(cn=eng)", attributes=["cn"])
    assert conn.entries == []
    assert "eve" not in visible_uids(conn)


def test_app_service_account(tree, live_ldap, admin_user):
    app, shown = create_app(actor=admin_user, name="Git", uid="git", protocols={"ldap_app": {}})
    dn, secret = shown["ldap_app"]["bind_dn"], shown["ldap_app"]["secret"]
    assert dn == f"cn=git,ou=apps,{BASE}"
    conn = bind(live_ldap, dn, secret)
    assert conn.bound
    assert visible_uids(conn) == {"alice", "bob", "carol", "admin"}
    assert not bind(live_ldap, dn, secret + "x").bound
    # Limited to holders of the access permission: nobody but admins holds it yet.
    update_app(app, actor=admin_user, fields={}, protocols={"ldap_app": {"access_holders_only": True}})
    assert visible_uids(bind(live_ldap, dn, secret)) == {"admin"}
    # Rotating gives a new secret; the old one stops working.
    _, shown = update_app(app, actor=admin_user, fields={}, protocols={"ldap_app": {"rotate_secret": True}})
    assert not bind(live_ldap, dn, secret).bound
    assert bind(live_ldap, dn, shown["ldap_app"]["secret"]).bound
    assert Event.objects.filter(action=Action.LDAP_SECRET_ISSUED).count() == 2


def test_sasl_is_not_supported(tree, live_ldap):
    server = ldap3.Server("127.0.0.1", port=live_ldap.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(server, authentication=ldap3.SASL, sasl_mechanism=ldap3.EXTERNAL, raise_exceptions=False)
    conn.open()
    conn.bind()
    assert conn.result["result"] == 7


def test_user_binds_go_through_the_brute_force_guard(tree, live_ldap, settings):
    settings.LOCKOUT_ACCOUNT_DELAY_AFTER = 2
    for _attempt in range(2):
        assert not bind(live_ldap, f"uid=alice,{PEOPLE}", "wrong").bound
    # alice's account must now wait: the right password is refused too, before any hash.
    refused = bind(live_ldap, f"uid=alice,{PEOPLE}", "Passw0rd!x")
    assert not refused.bound and refused.result["result"] == 49
    assert Event.objects.filter(action=Action.LOGIN_REFUSED, actor_name=f"uid=alice,{PEOPLE}").exists()
