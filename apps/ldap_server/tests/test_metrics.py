"""LDAP operations reach Prometheus; the LDAP process serves its own metrics port."""

from __future__ import annotations

import urllib.request

from prometheus_client import REGISTRY

from apps.core.tests.net import free_port
from apps.ldap_server.management.commands.ldap_server import Command as LdapServerCommand
from apps.ldap_server.tests.conftest import PEOPLE
from apps.ldap_server.tests.test_binds import bind


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_ldap_binds_are_counted(tree, live_ldap):
    before = sample("arkid_ldap_operations_total", operation="bind", outcome="failure")
    ok_before = sample("arkid_ldap_operations_total", operation="bind", outcome="success")
    assert not bind(live_ldap, f"uid=alice,{PEOPLE}", "wrong").bound
    assert bind(live_ldap, f"uid=bob,{PEOPLE}", "Passw0rd!x").bound
    assert sample("arkid_ldap_operations_total", operation="bind", outcome="failure") == before + 1
    assert sample("arkid_ldap_operations_total", operation="bind", outcome="success") == ok_before + 1


def test_the_ldap_process_serves_its_own_metrics(settings):
    settings.LDAP_METRICS_HOST = "127.0.0.1"
    port = free_port()
    LdapServerCommand()._serve_metrics(port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310 - local
        text = response.read().decode()
    assert "arkid_ldap_operations_total" in text
