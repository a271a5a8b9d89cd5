"""A small BER codec for LDAPv3 messages (RFC 4511), written by hand for speed.

ldap3 ships a pyasn1-based codec; decoding and re-encoding one search request through pyasn1
costs a few hundred microseconds, more than the whole in-memory search it serves. LDAP only
uses a handful of BER forms (definite lengths, small tags, INTEGER, OCTET STRING, BOOLEAN,
ENUMERATED, SEQUENCE/SET and context/application tags), so a direct decoder over ``bytes`` is
short and an order of magnitude faster (``bench/bench_ldap.py`` measures both).

Decoding is strict: indefinite lengths, multi-byte tags, lengths running past the buffer and
oversized messages raise :class:`BerError`; the server answers protocolError and closes
the connection. The decoder is fuzzed with hypothesis (``tests/test_ber.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

# Tag classes and the constructed bit.
UNIVERSAL, APPLICATION, CONTEXT = 0x00, 0x40, 0x80
CONSTRUCTED = 0x20

BOOLEAN, INTEGER, OCTET_STRING, ENUMERATED = 0x01, 0x02, 0x04, 0x0A
SEQUENCE, SET = 0x30, 0x31

MAX_DEPTH = 64  # filters nest; a deeper message is an attack, not a client


class BerError(ValueError):
    """Malformed or oversized BER."""


@dataclass(slots=True)
class Element:
    """One decoded TLV. ``value`` is the raw contents; ``children`` is set for constructed tags."""

    tag: int
    value: bytes
    children: list[Element] | None = None

    @property
    def constructed(self) -> bool:
        return bool(self.tag & CONSTRUCTED)

    def as_int(self) -> int:
        if not self.value or len(self.value) > 8:
            raise BerError("bad integer")
        return int.from_bytes(self.value, "big", signed=True)

    def as_bool(self) -> bool:
        if len(self.value) != 1:
            raise BerError("bad boolean")
        return self.value != b"\x00"

    def as_str(self) -> str:
        try:
            return self.value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BerError("string is not UTF-8") from exc

    def items(self) -> list[Element]:
        if self.children is None:
            raise BerError("expected a constructed element")
        return self.children


def read_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """(length, position after the length octets)."""
    if pos >= end:
        raise BerError("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0:
        raise BerError("indefinite length is not allowed in LDAP")
    if count > 4 or pos + count > end:
        raise BerError("bad length")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def decode(data: bytes, pos: int = 0, end: int | None = None, depth: int = 0) -> tuple[Element, int]:
    """Decode one element at ``pos``; returns it and the position after it."""
    end = len(data) if end is None else end
    if depth > MAX_DEPTH:
        raise BerError("nesting too deep")
    if pos >= end:
        raise BerError("truncated tag")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by LDAP")
    length, start = read_length(data, pos + 1, end)
    stop = start + length
    if stop > end:
        raise BerError("length runs past the data")
    value = data[start:stop]
    children = None
    if tag & CONSTRUCTED:
        children = []
        inner = start
        while inner < stop:
            child, inner = decode(data, inner, stop, depth + 1)
            children.append(child)
    return Element(tag, value, children), stop


def message_length(buffer: bytes | bytearray, max_size: int) -> int | None:
    """The full length of the first message in ``buffer``, or None when more bytes are needed.
    Raises BerError for a message that is not a SEQUENCE or is larger than ``max_size``."""
    if not buffer:
        return None
    if buffer[0] != SEQUENCE:
        raise BerError("an LDAP message is a SEQUENCE")
    if len(buffer) < 2:
        return None
    first = buffer[1]
    if first < 0x80:
        total = 2 + first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise BerError("bad message length")
        if len(buffer) < 2 + count:
            return None
        total = 2 + count + int.from_bytes(buffer[2 : 2 + count], "big")
    if total > max_size:
        raise BerError("message too large")
    return total


# Encoding -------------------------------------------------------------------------------


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(value)) + value


def enc_int(value: int, tag: int = INTEGER) -> bytes:
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def enc_enum(value: int) -> bytes:
    return enc_int(value, ENUMERATED)


def enc_bool(value: bool, tag: int = BOOLEAN) -> bytes:
    return tlv(tag, b"\xff" if value else b"\x00")


def enc_str(value: str | bytes, tag: int = OCTET_STRING) -> bytes:
    return tlv(tag, value.encode("utf-8") if isinstance(value, str) else value)


def enc_seq(*parts: bytes, tag: int = SEQUENCE) -> bytes:
    return tlv(tag, b"".join(parts))
