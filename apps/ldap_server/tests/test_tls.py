"""StartTLS and LDAPS with a self-signed certificate generated for the test."""

from __future__ import annotations

import ssl

import ldap3

from apps.ldap_server.tests.conftest import BASE, PEOPLE


def tls(cert_path: str) -> ldap3.Tls:
    return ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=cert_path, valid_names=["localhost"])


def test_starttls(tree, live_ldap, tls_files):
    live_ldap.sync()
    server = ldap3.Server("localhost", port=live_ldap.port, tls=tls(tls_files[0]), get_info=ldap3.NONE)
    conn = ldap3.Connection(server, user=f"cn=admin,{BASE}", password="admin-secret")
    conn.open()
    assert conn.start_tls()
    assert conn.bind()
    conn.search(PEOPLE, "(uid=alice)", attributes=["uid"])
    assert [str(e.uid) for e in conn.entries] == ["alice"]


def test_ldaps(tree, live_ldap, tls_files):
    live_ldap.sync()
    server = ldap3.Server("localhost", port=live_ldap.ldaps_port, use_ssl=True, tls=tls(tls_files[0]))
    conn = ldap3.Connection(server, user=f"uid=alice,{PEOPLE}", password="Passw0rd!x", auto_bind=True)
    assert conn.extend.standard.who_am_i() == f"dn:uid=alice,{PEOPLE}"
