"""The same server through OpenLDAP's own clients (Debian package ldap-utils)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from apps.ldap_server.tests.conftest import BASE, PEOPLE

pytestmark = pytest.mark.skipif(shutil.which("ldapsearch") is None, reason="needs ldap-utils")


def run(tool: str, *args: str, cert: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LDAPTLS_CACERT": cert or "", "LDAPTLS_REQCERT": "demand" if cert else "never"}
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=30, env=env, check=False)  # noqa: S603 - fixed tool names


def admin(live) -> list[str]:
    return ["-x", "-H", live.url, "-D", f"cn=admin,{BASE}", "-w", "admin-secret"]


def test_ldapsearch_filters_and_paging(tree, live_ldap):
    live_ldap.sync()
    out = run("ldapsearch", *admin(live_ldap), "-b", PEOPLE, "-LLL", "(&(objectClass=inetOrgPerson)(cn=*e*))", "uid")
    assert out.returncode == 0, out.stderr
    assert sorted(line for line in out.stdout.splitlines() if line.startswith("uid:")) == [
        "uid: alice",
        "uid: bob",
        "uid: carol",
    ]
    paged = run("ldapsearch", *admin(live_ldap), "-b", PEOPLE, "-LLL", "-E", "pr=1/noprompt", "(uid=*)", "uid")
    assert paged.returncode == 0, paged.stderr
    assert paged.stdout.count("uid: ") == 3


def test_ldapsearch_errors(tree, live_ldap):
    live_ldap.sync()
    missing = run("ldapsearch", *admin(live_ldap), "-b", f"ou=nowhere,{BASE}", "(objectClass=*)")
    assert missing.returncode == 32
    wrong = run("ldapsearch", "-x", "-H", live_ldap.url, "-D", f"cn=admin,{BASE}", "-w", "nope", "-b", BASE)
    assert wrong.returncode == 49
    anonymous = run("ldapsearch", "-x", "-H", live_ldap.url, "-b", PEOPLE, "(uid=*)")
    assert anonymous.returncode == 48  # anonymous binds are off by default
    root = run("ldapsearch", *admin(live_ldap), "-b", "", "-s", "base", "-LLL", "+")
    assert root.returncode == 0 and f"namingContexts: {BASE}" in root.stdout


def test_ldapwhoami_with_starttls(tree, live_ldap, tls_files):
    live_ldap.sync()
    url = f"ldap://127.0.0.1:{live_ldap.port}"
    user = ["-x", "-H", url, "-D", f"uid=bob,{PEOPLE}", "-w", "Passw0rd!x"]
    out = run("ldapwhoami", *user, "-ZZ", cert=tls_files[0])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"dn:uid=bob,{PEOPLE}"


def test_ldapwhoami_over_ldaps(tree, live_ldap, tls_files):
    live_ldap.sync()
    url = f"ldaps://127.0.0.1:{live_ldap.ldaps_port}"
    out = run("ldapwhoami", "-x", "-H", url, "-D", f"cn=admin,{BASE}", "-w", "admin-secret", cert=tls_files[0])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"dn:cn=admin,{BASE}"
