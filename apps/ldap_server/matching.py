"""Matching rules per attribute (RFC 4517), reduced to one normaliser per attribute.

A value is normalised once when an entry is built and once per filter assertion, so every
comparison is a plain ``==``/``<=``/``in`` on normalised values:

- caseIgnoreMatch (names, mail, uid, objectClass, ...): case folded, inner spaces collapsed;
- telephoneNumberMatch (mobile, telephoneNumber): spaces and hyphens dropped;
- integerMatch (uidNumber, gidNumber): compared as integers, so ``>=`` orders numerically;
- distinguishedNameMatch (member, memberOf, entryDN): see :func:`normalize_dn`;
- generalizedTimeMatch (create/modifyTimestamp): kept as the fixed-width ``YYYYmmddHHMMSSZ``
  string we emit, which orders correctly as text.
"""

from __future__ import annotations

INTEGER_ATTRS = frozenset({"uidnumber", "gidnumber"})
PHONE_ATTRS = frozenset({"mobile", "telephonenumber"})
DN_ATTRS = frozenset({"member", "uniquemember", "memberof", "entrydn"})
EXACT_ATTRS = frozenset({"createtimestamp", "modifytimestamp"})

# Extensible-match rules we answer; anything else is refused (inappropriateMatching).
KNOWN_RULES = {
    "caseignorematch": "2.5.13.2",
    "caseexactmatch": "2.5.13.5",
    "distinguishednamematch": "2.5.13.1",
    "integermatch": "2.5.13.14",
    "telephonenumbermatch": "2.5.13.20",
}
RULE_OIDS = {oid: name for name, oid in KNOWN_RULES.items()}


def fold(value: str) -> str:
    return " ".join(value.casefold().split())


def normalize(attr: str, value: str):
    """The normalised form of ``value`` for attribute ``attr`` (lower-cased name)."""
    if attr in INTEGER_ATTRS:
        try:
            return int(value)
        except ValueError:
            return None
    if attr in PHONE_ATTRS:
        return value.replace(" ", "").replace("-", "")
    if attr in DN_ATTRS:
        return normalize_dn(value)
    if attr in EXACT_ATTRS:
        return value
    return fold(value)


def split_dn(dn: str) -> list[str]:
    """The RDNs of ``dn``, split on unescaped commas (RFC 4514), each still escaped."""
    parts, current, escaped = [], [], False
    for char in dn:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current or parts:
        parts.append("".join(current))
    return parts


def normalize_dn(dn: str) -> str:
    """Case-folded DN with the spaces around separators removed: ``UID=Bob, OU=People`` and
    ``uid=bob,ou=people`` compare equal. Values are compared case-insensitively, which is what
    every attribute naming our entries (uid, cn, ou, dc) uses."""
    rdns = []
    for rdn in split_dn(dn.strip()):
        name, _, value = rdn.partition("=")
        rdns.append(f"{name.strip().casefold()}={fold(value.strip())}")
    return ",".join(rdns)


def parse_rdn(rdn: str) -> tuple[str, str]:
    """(attribute lower-cased, unescaped value) of one RDN."""
    name, _, value = rdn.partition("=")
    return name.strip().lower(), unescape(value.strip())


def unescape(value: str) -> str:
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            pair = value[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                index += 3
                continue
            out.extend(value[index + 1].encode())
            index += 2
            continue
        out.extend(char.encode())
        index += 1
    return out.decode("utf-8", errors="replace")
