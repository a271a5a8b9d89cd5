"""Search filter evaluation (RFC 4511 section 4.5.1) over the in-memory view.

Filters arrive as the tuples :func:`apps.ldap_server.protocol.parse_filter` builds. Evaluation
is three-valued as the RFC requires (an assertion on an attribute with no usable matching
rule is Undefined, and NOT Undefined stays Undefined). :func:`candidates` narrows the entries
to check using the equality indexes of :class:`~apps.ldap_server.dit.DirectoryView`, so
``(uid=bob)`` or ``(&(objectClass=person)(memberOf=cn=x,...))`` never scans the directory.
"""

from __future__ import annotations

from apps.ldap_server import matching
from apps.ldap_server.dit import DirectoryView, Entry

UNDEFINED = None
NEVER_MATCHED = frozenset({"userpassword"})
_EMPTY: frozenset[str] = frozenset()


class InappropriateMatching(Exception):
    """An extensible match with a rule we do not implement."""


def values(view: DirectoryView, entry: Entry, attr: str) -> list:
    stored = entry.norm.get(attr)
    if stored is not None:
        return stored
    return view.dynamic_norm(entry, attr)


def _substring(value, initial, middle, final) -> bool:
    if not isinstance(value, str):
        return False
    pos = 0
    if initial is not None:
        if not value.startswith(initial):
            return False
        pos = len(initial)
    end = len(value)
    if final is not None:
        if len(value) - pos < len(final) or not value.endswith(final):
            return False
        end = len(value) - len(final)
    for piece in middle:
        found = value.find(piece, pos, end)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def _ordered(op: str, have: list, want) -> bool | None:
    if want is None:
        return UNDEFINED
    try:
        if op == "ge":
            return any(v is not None and v >= want for v in have)
        return any(v is not None and v <= want for v in have)
    except TypeError:
        return UNDEFINED


def prepare(filt: tuple) -> tuple:
    """The filter with attribute names lower-cased and assertion values normalised, once per
    search instead of once per entry examined. Assertions that can never be True (on
    userPassword, substrings of a DN or integer) become ``("undefined",)``."""
    kind = filt[0]
    if kind in ("and", "or"):
        return (kind, [prepare(child) for child in filt[1]])
    if kind == "not":
        return ("not", prepare(filt[1]))
    if kind == "present":
        return ("present", filt[1].lower())
    if kind in ("eq", "approx", "ge", "le"):
        attr = filt[1].lower()
        if attr in NEVER_MATCHED:
            return ("undefined",)
        return ("eq" if kind == "approx" else kind, attr, matching.normalize(attr, filt[2]))
    if kind == "sub":
        attr = filt[1].lower()
        if attr in matching.INTEGER_ATTRS or attr in matching.DN_ATTRS or attr in NEVER_MATCHED:
            return ("undefined",)  # no substrings rule for these syntaxes
        initial, middle, final = filt[2], filt[3], filt[4]
        return (
            "sub",
            attr,
            None if initial is None else matching.normalize(attr, initial),
            [matching.normalize(attr, piece) for piece in middle],
            None if final is None else matching.normalize(attr, final),
        )
    return filt  # "ext": checked when evaluated


def evaluate(view: DirectoryView, entry: Entry, filt: tuple) -> bool | None:
    """True, False or None (Undefined), for a filter from :func:`prepare`."""
    kind = filt[0]
    if kind == "eq":
        return filt[2] in values(view, entry, filt[1])
    if kind == "and":
        result = True
        for child in filt[1]:
            value = evaluate(view, entry, child)
            if value is False:
                return False
            if value is UNDEFINED:
                result = UNDEFINED
        return result
    if kind == "or":
        result = False
        for child in filt[1]:
            value = evaluate(view, entry, child)
            if value is True:
                return True
            if value is UNDEFINED:
                result = UNDEFINED
        return result
    if kind == "not":
        value = evaluate(view, entry, filt[1])
        return UNDEFINED if value is UNDEFINED else not value
    if kind == "present":
        return filt[1] == "objectclass" or bool(values(view, entry, filt[1]))
    if kind in ("ge", "le"):
        return _ordered(kind, values(view, entry, filt[1]), filt[2])
    if kind == "sub":
        _kind, attr, initial, middle, final = filt
        return any(_substring(v, initial, middle, final) for v in values(view, entry, attr))
    if kind == "ext":
        return _extensible(view, entry, filt)
    return UNDEFINED


def _extensible(view: DirectoryView, entry: Entry, filt: tuple) -> bool | None:
    _kind, rule, attr, value, dn_attributes = filt
    if rule is not None:
        name = rule.lower()
        name = matching.RULE_OIDS.get(name, name)
        if name not in matching.KNOWN_RULES:
            raise InappropriateMatching(rule)
    if attr is None:
        raise InappropriateMatching("an extensible match without an attribute")
    attr = attr.lower()
    have = values(view, entry, attr)
    if rule is not None and matching.RULE_OIDS.get(rule, rule.lower()) == "caseexactmatch":
        raw = entry.attrs.get(attr, ("", []))[1]
        found = value in raw
    else:
        found = matching.normalize(attr, value) in have
    if not found and dn_attributes:
        found = any(matching.parse_rdn(rdn)[0] == attr and matching.fold(matching.parse_rdn(rdn)[1]) ==
                    matching.fold(value) for rdn in matching.split_dn(entry.dn))  # fmt: skip
    return found


def candidates(view: DirectoryView, filt: tuple) -> set[str] | frozenset[str] | None:
    """Normalised DNs that may match ``filt`` (from :func:`prepare`), from the indexes; None
    means "scan everything".
    The sets returned may be the indexes' own: callers only read them."""
    kind = filt[0]
    if kind == "eq":
        attr, value = filt[1], filt[2]
        if attr in view.index:
            return view.index[attr].get(value, _EMPTY)  # shared: read only
        if attr == "memberof":
            return view.members_of_group_dn(value)
        if attr in ("member", "uniquemember"):
            return view.groups_of_user_dn(value)
        if attr == "entrydn":
            return {value} if value in view.entries else _EMPTY
        return None
    if kind == "undefined":
        return _EMPTY
    if kind == "and":
        best = None
        for child in filt[1]:
            found = candidates(view, child)
            if found is not None and (best is None or len(found) < len(best)):
                best = found
        return best
    if kind == "or":
        union: set[str] = set()
        for child in filt[1]:
            found = candidates(view, child)
            if found is None:
                return None
            union |= found
        return union
    return None
