"""The codec: round trips, strictness, and fuzzing (malformed input never crashes the server)."""

from __future__ import annotations

import contextlib
import socket

import ldap3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.ldap_server import ber, protocol
from apps.ldap_server.ber import BerError
from apps.ldap_server.tests.conftest import BASE, PEOPLE


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_integers_round_trip(value):
    element, _ = ber.decode(ber.enc_int(value))
    assert element.as_int() == value


@given(st.binary(max_size=300))
def test_strings_round_trip(value):
    element, end = ber.decode(ber.enc_str(value))
    assert element.value == value and end == len(ber.enc_str(value))


@given(st.binary(max_size=200))
def test_decoding_random_bytes_only_raises_ber_error(data):
    with contextlib.suppress(BerError):
        op = protocol.decode_message(data).op
        for parse in (protocol.parse_bind, protocol.parse_search, protocol.parse_compare, protocol.parse_extended):
            with contextlib.suppress(BerError):
                parse(op)


@pytest.mark.parametrize(
    "data",
    [
        b"\x30\x80\x02\x01\x01\x00\x00",  # indefinite length
        b"\x30\x05\x02\x01\x01",  # runs past the data
        b"\x30\x03\x1f\x01\x01",  # multi-byte tag
        b"\x30\x85\x01\x00\x00\x00\x00",  # 5 length octets
    ],
)
def test_strict_decoding(data):
    with pytest.raises(BerError):
        protocol.decode_message(data)


def test_deep_nesting_is_refused():
    filt = protocol.ber.tlv(0x87, b"cn")
    for _ in range(100):
        filt = ber.tlv(0xA2, filt)  # (!(!(!...)))
    with pytest.raises(BerError):
        ber.decode(filt)


def search_request(flt: str) -> bytes:
    """A search request encoded by ldap3's own (pyasn1) encoder, decoded by ours."""
    from ldap3.operation.search import search_operation
    from ldap3.protocol.rfc4511 import LDAPMessage, MessageID, ProtocolOp
    from ldap3.utils.asn1 import encode

    request = search_operation(PEOPLE, flt, ldap3.SUBTREE, ldap3.DEREF_NEVER, ["uid"], 0, 0, False, True, True)
    message = LDAPMessage()
    message["messageID"] = MessageID(7)
    message["protocolOp"] = ProtocolOp().setComponentByName("searchRequest", request)
    return encode(message)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("(uid=a\\2ab)", ("eq", "uid", "a*b")),
        ("(!(cn=x))", ("not", ("eq", "cn", "x"))),
        ("(cn=a*b*c)", ("sub", "cn", "a", ["b"], "c")),
        ("(cn=*)", ("present", "cn")),
        ("(uidNumber>=5)", ("ge", "uidNumber", "5")),
        ("(uid:dn:caseExactMatch:=x)", ("ext", "caseExactMatch", "uid", "x", True)),
    ],
)
def test_filters_from_another_encoder(flt, expected):
    message = protocol.decode_message(search_request(flt))
    assert message.message_id == 7
    assert protocol.parse_search(message.op).filter == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(min_size=1, max_size=64))
def test_malformed_input_closes_only_that_connection(tree, live_ldap, junk):
    """Whatever a client sends, the server answers at most a notice and keeps serving others."""
    live_ldap.sync()
    good = ldap3.Connection(
        ldap3.Server("127.0.0.1", port=live_ldap.port, get_info=ldap3.NONE),
        user=f"cn=admin,{BASE}",
        password="admin-secret",
        auto_bind=True,
    )
    with socket.create_connection(("127.0.0.1", live_ldap.port), timeout=5) as bad:
        bad.sendall(b"\x30" + junk)  # a SEQUENCE header, then garbage
        bad.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := bad.recv(4096):
            reply += chunk
    if reply:
        assert reply.startswith(b"\x30")
    good.search(PEOPLE, "(uid=alice)", attributes=["uid"])
    assert [str(e.uid) for e in good.entries] == ["alice"]
    good.unbind()


def test_protocol_error_notice(live_ldap):
    with socket.create_connection(("127.0.0.1", live_ldap.port), timeout=5) as sock:
        sock.sendall(b"\x04\x00")  # not a SEQUENCE
        reply = sock.recv(4096)
    notice = protocol.decode_message(reply)
    parts = notice.op.items()
    assert notice.message_id == 0 and parts[0].as_int() == protocol.Result.PROTOCOL_ERROR
    assert parts[-1].value == protocol.OID_NOTICE_OF_DISCONNECTION.encode()
