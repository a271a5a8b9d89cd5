"""Connection and idle limits, critical controls, unknown extended operations."""

from __future__ import annotations

import socket

import pytest

from apps.ldap_server import ber, protocol
from apps.ldap_server.server import Limits
from apps.ldap_server.tests.conftest import BASE, PEOPLE, connect, raw_exchange


@pytest.fixture
def limits() -> Limits:
    return Limits(max_connections=2, idle_timeout=0.5)


def notice_code(reply: bytes) -> int:
    message = protocol.decode_message(reply)
    assert message.message_id == 0 and message.op.tag == protocol.EXTENDED_RESPONSE
    return message.op.items()[0].as_int()


def test_connections_over_the_limit_are_refused(live_ldap):
    first = socket.create_connection(("127.0.0.1", live_ldap.port))
    second = socket.create_connection(("127.0.0.1", live_ldap.port))
    try:
        first.sendall(b"")  # both accepted and held open
        reply = raw_exchange(live_ldap.port, b"")
        assert notice_code(reply) == protocol.Result.BUSY
    finally:
        first.close()
        second.close()


def test_idle_connections_are_closed(live_ldap):
    with socket.create_connection(("127.0.0.1", live_ldap.port), timeout=5) as sock:
        reply = sock.recv(4096)  # nothing sent: the server gives up after 0.5 s
    assert notice_code(reply) == protocol.Result.UNAVAILABLE


def test_unknown_critical_control_and_extended_operation(tree, live_ldap):
    conn = connect(live_ldap)
    conn.search(PEOPLE, "(uid=alice)", controls=[("1.2.3.4.5", True, None)])
    assert conn.result["result"] == 12  # unavailableCriticalExtension
    conn.search(PEOPLE, "(uid=alice)", controls=[("1.2.3.4.5", False, None)], attributes=["uid"])
    assert conn.result["result"] == 0 and len(conn.entries) == 1
    conn.extended("1.2.3.4.6")
    assert conn.result["result"] == 2


def test_abandon_and_a_stale_paging_cookie(tree, live_ldap):
    conn = connect(live_ldap)
    conn.abandon(99)  # nothing to abandon; no reply, the connection stays usable
    conn.search(PEOPLE, "(uid=*)", attributes=["uid"], paged_size=1, paged_cookie=b"nope")
    assert conn.result["result"] == 53
    assert conn.search(PEOPLE, "(uid=alice)", attributes=["uid"])


def test_binds_other_than_v3_are_refused(live_ldap):
    op = ber.enc_seq(ber.enc_int(2), ber.enc_str(f"cn=admin,{BASE}"), ber.enc_str("admin-secret", tag=0x80), tag=0x60)
    reply = protocol.decode_message(raw_exchange(live_ldap.port, protocol.envelope(1, op)))
    assert reply.op.items()[0].as_int() == protocol.Result.PROTOCOL_ERROR
