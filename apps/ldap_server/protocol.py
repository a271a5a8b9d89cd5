"""LDAPv3 messages (RFC 4511) on top of :mod:`apps.ldap_server.ber`: requests decoded into small
dataclasses, responses encoded straight to bytes."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.ldap_server import ber
from apps.ldap_server.ber import APPLICATION, CONSTRUCTED, CONTEXT, BerError, Element

# Operation tags ([APPLICATION n], constructed unless noted).
BIND_REQUEST, BIND_RESPONSE = 0x60, 0x61
UNBIND_REQUEST = 0x42  # primitive NULL
SEARCH_REQUEST, SEARCH_ENTRY, SEARCH_DONE = 0x63, 0x64, 0x65
MODIFY_REQUEST, MODIFY_RESPONSE = 0x66, 0x67
ADD_REQUEST, ADD_RESPONSE = 0x68, 0x69
DELETE_REQUEST, DELETE_RESPONSE = 0x4A, 0x6B  # the request is primitive (the DN)
MODDN_REQUEST, MODDN_RESPONSE = 0x6C, 0x6D
COMPARE_REQUEST, COMPARE_RESPONSE = 0x6E, 0x6F
ABANDON_REQUEST = 0x50  # primitive INTEGER
EXTENDED_REQUEST, EXTENDED_RESPONSE = 0x77, 0x78

# The response to each write request: every write is refused (the view is read-only).
WRITE_RESPONSES = {
    MODIFY_REQUEST: MODIFY_RESPONSE,
    ADD_REQUEST: ADD_RESPONSE,
    DELETE_REQUEST: DELETE_RESPONSE,
    MODDN_REQUEST: MODDN_RESPONSE,
}

# The response tag of each request that has one (for errors answered before parsing it).
RESPONSE_TAGS = {
    BIND_REQUEST: BIND_RESPONSE,
    SEARCH_REQUEST: SEARCH_DONE,
    COMPARE_REQUEST: COMPARE_RESPONSE,
    EXTENDED_REQUEST: EXTENDED_RESPONSE,
    **WRITE_RESPONSES,
}

OID_STARTTLS = "1.3.6.1.4.1.1466.20037"
OID_WHOAMI = "1.3.6.1.4.1.4203.1.11.3"
OID_PAGED_RESULTS = "1.2.840.113556.1.4.319"
OID_NOTICE_OF_DISCONNECTION = "1.3.6.1.4.1.1466.20036"


class Result:
    SUCCESS = 0
    OPERATIONS_ERROR = 1
    PROTOCOL_ERROR = 2
    TIME_LIMIT_EXCEEDED = 3
    SIZE_LIMIT_EXCEEDED = 4
    COMPARE_FALSE = 5
    COMPARE_TRUE = 6
    AUTH_METHOD_NOT_SUPPORTED = 7
    UNAVAILABLE_CRITICAL_EXTENSION = 12
    CONFIDENTIALITY_REQUIRED = 13
    NO_SUCH_ATTRIBUTE = 16
    UNDEFINED_ATTRIBUTE_TYPE = 17
    INAPPROPRIATE_MATCHING = 18
    NO_SUCH_OBJECT = 32
    INVALID_DN_SYNTAX = 34
    INAPPROPRIATE_AUTHENTICATION = 48
    INVALID_CREDENTIALS = 49
    INSUFFICIENT_ACCESS_RIGHTS = 50
    BUSY = 51
    UNAVAILABLE = 52
    UNWILLING_TO_PERFORM = 53
    OTHER = 80


class Scope:
    BASE, ONE, SUB = 0, 1, 2


@dataclass(slots=True)
class Control:
    oid: str
    critical: bool
    value: bytes | None


@dataclass(slots=True)
class Message:
    message_id: int
    op: Element
    controls: list[Control] = field(default_factory=list)

    def control(self, oid: str) -> Control | None:
        return next((c for c in self.controls if c.oid == oid), None)


@dataclass(slots=True)
class BindRequest:
    version: int
    name: str
    password: bytes | None  # None: a SASL bind (not supported)


@dataclass(slots=True)
class SearchRequest:
    base: str
    scope: int
    size_limit: int
    time_limit: int
    types_only: bool
    filter: tuple
    attributes: list[str]


@dataclass(slots=True)
class ExtendedRequest:
    oid: str
    value: bytes | None


def decode_message(data: bytes) -> Message:
    root, end = ber.decode(data)
    if end != len(data) or root.tag != ber.SEQUENCE:
        raise BerError("bad envelope")
    parts = root.items()
    if len(parts) < 2 or parts[0].tag != ber.INTEGER:
        raise BerError("bad envelope")
    message_id = parts[0].as_int()
    if not 0 <= message_id <= 2**31 - 1:
        raise BerError("bad message id")
    controls = []
    if len(parts) > 2:
        if parts[2].tag != (CONTEXT | CONSTRUCTED):
            raise BerError("bad controls")
        controls = [_control(c) for c in parts[2].items()]
    return Message(message_id, parts[1], controls)


def _control(element: Element) -> Control:
    parts = element.items()
    if not parts or parts[0].tag != ber.OCTET_STRING:
        raise BerError("bad control")
    critical, value = False, None
    for part in parts[1:]:
        if part.tag == ber.BOOLEAN:
            critical = part.as_bool()
        elif part.tag == ber.OCTET_STRING:
            value = part.value
        else:
            raise BerError("bad control")
    return Control(parts[0].as_str(), critical, value)


def parse_bind(op: Element) -> BindRequest:
    parts = op.items()
    if len(parts) != 3 or parts[0].tag != ber.INTEGER or parts[1].tag != ber.OCTET_STRING:
        raise BerError("bad bind request")
    auth = parts[2]
    password = auth.value if auth.tag == CONTEXT else None  # [0] simple; [3] SASL
    return BindRequest(parts[0].as_int(), parts[1].as_str(), password)


def parse_search(op: Element) -> SearchRequest:
    parts = op.items()
    if len(parts) != 8:
        raise BerError("bad search request")
    base, scope, _deref, size, time, types_only, filt, attrs = parts
    if scope.tag != ber.ENUMERATED or scope.as_int() not in (0, 1, 2):
        raise BerError("bad scope")
    return SearchRequest(
        base=base.as_str(),
        scope=scope.as_int(),
        size_limit=max(0, size.as_int()),
        time_limit=max(0, time.as_int()),
        types_only=types_only.as_bool(),
        filter=parse_filter(filt),
        attributes=[a.as_str() for a in attrs.items()],
    )


def parse_compare(op: Element) -> tuple[str, str, bytes]:
    parts = op.items()
    if len(parts) != 2:
        raise BerError("bad compare request")
    ava = parts[1].items()
    if len(ava) != 2:
        raise BerError("bad compare request")
    return parts[0].as_str(), ava[0].as_str(), ava[1].value


def parse_extended(op: Element) -> ExtendedRequest:
    parts = op.items()
    if not parts or parts[0].tag != CONTEXT:
        raise BerError("bad extended request")
    value = parts[1].value if len(parts) > 1 else None
    return ExtendedRequest(parts[0].as_str(), value)


def parse_paged_control(value: bytes | None) -> tuple[int, bytes]:
    if value is None:
        raise BerError("paged results control without a value")
    seq, _end = ber.decode(value)
    parts = seq.items()
    if len(parts) != 2 or parts[0].tag != ber.INTEGER or parts[1].tag != ber.OCTET_STRING:
        raise BerError("bad paged results control")
    return max(0, parts[0].as_int()), parts[1].value


# Filters are tuples: ("and", [f]), ("or", [f]), ("not", f), ("eq"|"ge"|"le"|"approx", attr, value),
# ("sub", attr, initial, [any], final), ("present", attr), ("ext", rule, attr, value, dn_attributes).
_AVA_KINDS = {0xA3: "eq", 0xA5: "ge", 0xA6: "le", 0xA8: "approx"}


def _text(element: Element) -> str:
    return element.as_str()


def parse_filter(element: Element) -> tuple:
    tag = element.tag
    if tag in (0xA0, 0xA1):
        children = element.items()
        return ("and" if tag == 0xA0 else "or", [parse_filter(c) for c in children])
    if tag == 0xA2:
        children = element.items()
        if len(children) != 1:
            raise BerError("bad not filter")
        return ("not", parse_filter(children[0]))
    if tag in _AVA_KINDS:
        ava = element.items()
        if len(ava) != 2:
            raise BerError("bad assertion")
        return (_AVA_KINDS[tag], _text(ava[0]), _text(ava[1]))
    if tag == 0xA4:
        parts = element.items()
        if len(parts) != 2:
            raise BerError("bad substrings filter")
        initial, middle, final = None, [], None
        for piece in parts[1].items():
            if piece.tag == 0x80 and initial is None and not middle:
                initial = _text(piece)
            elif piece.tag == 0x81:
                middle.append(_text(piece))
            elif piece.tag == 0x82 and final is None:
                final = _text(piece)
            else:
                raise BerError("bad substrings filter")
        return ("sub", _text(parts[0]), initial, middle, final)
    if tag == 0x87:
        return ("present", element.as_str())
    if tag == 0xA9:
        rule = attr = value = None
        dn_attributes = False
        for piece in element.items():
            if piece.tag == 0x81:
                rule = _text(piece)
            elif piece.tag == 0x82:
                attr = _text(piece)
            elif piece.tag == 0x83:
                value = _text(piece)
            elif piece.tag == 0x84:
                dn_attributes = piece.as_bool()
        if value is None:
            raise BerError("extensible match without a value")
        return ("ext", rule, attr, value, dn_attributes)
    raise BerError("unknown filter")


# Encoding responses -----------------------------------------------------------------------


def envelope(message_id: int, op: bytes, controls: bytes = b"") -> bytes:
    return ber.enc_seq(ber.enc_int(message_id), op, controls)


def result(tag: int, code: int, matched: str = "", message: str = "", extra: bytes = b"") -> bytes:
    return ber.enc_seq(ber.enc_enum(code), ber.enc_str(matched), ber.enc_str(message), extra, tag=tag)


def extended_response(code: int, message: str = "", oid: str | None = None, value: bytes | None = None) -> bytes:
    extra = b""
    if oid is not None:
        extra += ber.enc_str(oid, tag=CONTEXT | 10)
    if value is not None:
        extra += ber.enc_str(value, tag=CONTEXT | 11)
    return result(EXTENDED_RESPONSE, code, message=message, extra=extra)


def search_entry(dn: str, attributes: list[tuple[str, list[str]]]) -> bytes:
    encoded = b"".join(
        ber.enc_seq(ber.enc_str(name), ber.enc_seq(*(ber.enc_str(v) for v in values), tag=ber.SET))
        for name, values in attributes
    )
    return ber.enc_seq(ber.enc_str(dn), ber.enc_seq(encoded), tag=SEARCH_ENTRY)


def paged_control(cookie: bytes, total: int = 0) -> bytes:
    value = ber.enc_seq(ber.enc_int(total), ber.enc_str(cookie))
    control = ber.enc_seq(ber.enc_str(OID_PAGED_RESULTS), ber.enc_str(value))
    return ber.enc_seq(control, tag=CONTEXT | CONSTRUCTED)


def is_application(tag: int) -> bool:
    return tag & 0xC0 == APPLICATION
