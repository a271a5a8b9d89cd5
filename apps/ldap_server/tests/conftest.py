"""A live LDAP server in a background thread, on ports the system picks, over the test database."""

from __future__ import annotations

import asyncio
import importlib
import socket
import threading

import ldap3
import pytest
from django.apps import apps as django_apps

from apps.core.tests.net import self_signed_certificate
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.ldap_server import dit
from apps.ldap_server.server import LdapServer, Limits, tls_context

BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 / localhost."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


class LiveServer:
    def __init__(self, tls_files, limits: Limits, bind_cache_seconds: float = 0):
        self.loop = asyncio.new_event_loop()
        self.server = LdapServer(
            dit.DirectoryView(BASE),
            ssl_context=tls_context(*tls_files),
            limits=limits,
            bind_cache_seconds=bind_cache_seconds,
        )
        self.port = self.ldaps_port = 0
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        # Port 0: the system picks free ports as it binds (a probed port could be taken by
        # another test run between the probe and the bind).
        future = asyncio.run_coroutine_threadsafe(self.server.start("127.0.0.1", 0, 0), self.loop)
        future.result(timeout=30)
        self.port, self.ldaps_port = self.server.ports()

    def sync(self) -> None:
        """Apply pending directory changes now (the server also does it on its own timer)."""

        asyncio.run_coroutine_threadsafe(self.server.poll_changes(), self.loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def bind_cache_seconds() -> float:
    return 0


@pytest.fixture
def live_ldap(transactional_db, settings, tls_files, limits, bind_cache_seconds):
    settings.LDAP_BASE_DN = BASE
    settings.LDAP_ADMIN_PASSWORD = "admin-secret"
    # transactional_db empties every table, including the built-in group types a migration made.
    builtin = importlib.import_module("apps.directory.migrations.0002_builtin_group_types")
    builtin.create_builtin_types(django_apps, None)
    live = LiveServer(tls_files, limits, bind_cache_seconds)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def tree(live_ldap):
    """Two departments (one nested), a role, four active users and one inactive."""
    alice = create_test_user("alice", name="Alice Liddell", email="Alice@Example.org", mobile="+8613800000001",
                             employee_number="E1", position="Engineer")  # fmt: skip
    bob = create_test_user("bob", name="Bob Stone", email="bob@example.org", employee_number="E2")
    carol = create_test_user("carol", name="Carol Chen", email="carol@example.org", employee_number="E10")
    create_test_user("dave", name="Dave Gone", is_active=False)
    eng = create_test_group("Engineering", uid="eng")
    backend = create_test_group("Backend", uid="backend", parent=eng)
    admins = create_test_group("Admins", uid="admins", type_key="role")
    add_member(eng, alice)
    add_member(backend, bob)
    add_member(admins, alice)
    add_member(admins, carol)
    return {"alice": alice, "bob": bob, "carol": carol, "eng": eng, "backend": backend}


def connect(live, user=f"cn=admin,{BASE}", password="admin-secret") -> ldap3.Connection:
    live.sync()
    server = ldap3.Server("127.0.0.1", port=live.port, get_info=ldap3.NONE)
    return ldap3.Connection(server, user=user, password=password, auto_bind=True, raise_exceptions=False)


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return the first whole message of the reply (b"" when closed)."""
    from apps.ldap_server import ber

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        buffer = b""
        while True:
            length = ber.message_length(buffer, 1 << 20)
            if length is not None and len(buffer) >= length:
                return buffer[:length]
            chunk = sock.recv(65536)
            if not chunk:
                return buffer
            buffer += chunk
