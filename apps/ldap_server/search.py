"""Search execution: scope, filter, visibility, attribute selection and limits.

Everything here is synchronous and touches only the in-memory view, so one search runs to
completion on the event loop without another coroutine (or a change being applied) in between.
"""

from __future__ import annotations

import time

from apps.ldap_server import filters, matching
from apps.ldap_server.auth import Principal
from apps.ldap_server.dit import OPERATIONAL_LOWER, DirectoryView, Entry
from apps.ldap_server.protocol import Result, Scope, SearchRequest

NEVER_RETURNED = frozenset({"userpassword"})


class SearchError(Exception):
    def __init__(self, code: int, message: str = "", matched: str = ""):
        super().__init__(message)
        self.code, self.message, self.matched = code, message, matched


def visible(principal: Principal, entry: Entry) -> bool:
    if entry.kind == "user":
        return principal.users is None or entry.pk in principal.users
    if entry.kind == "group":
        return principal.groups is None or entry.pk in principal.groups
    return True


def _in_scope(key: str, entry: Entry, base: str, scope: int) -> bool:
    if scope == Scope.BASE:
        return key == base
    if scope == Scope.ONE:
        return entry.parent == base
    return key == base or key.endswith("," + base) or (base == "" and key != "")


def _matched_dn(view: DirectoryView, base: str) -> str:
    """The deepest existing ancestor of a missing base (the resultMatchedDN)."""
    rdns = matching.split_dn(base)
    for index in range(1, len(rdns)):
        entry = view.entries.get(",".join(rdns[index:]))
        if entry is not None:
            return entry.dn
    return ""


def find(view: DirectoryView, principal: Principal, request: SearchRequest, time_limit: float) -> list[str]:
    """The normalised DNs matching ``request`` and visible to ``principal``, or SearchError."""
    base = matching.normalize_dn(request.base)
    base_entry = view.entries.get(base)
    if base_entry is None or not visible(principal, base_entry):
        raise SearchError(Result.NO_SUCH_OBJECT, "no such object", _matched_dn(view, base))
    filt = filters.prepare(request.filter)
    if request.scope == Scope.BASE:
        pool = [base]
    else:
        narrowed = filters.candidates(view, filt)
        pool = list(view.entries) if narrowed is None else sorted(narrowed)
    deadline = time.monotonic() + time_limit if time_limit else None
    found = []
    try:
        for count, key in enumerate(pool):
            entry = view.entries.get(key)
            if entry is None or not _in_scope(key, entry, base, request.scope) or not visible(principal, entry):
                continue
            if filters.evaluate(view, entry, filt) is True:
                found.append(key)
            if deadline and count & 0xFF == 0xFF and time.monotonic() > deadline:
                raise SearchError(Result.TIME_LIMIT_EXCEEDED, "time limit exceeded")
    except filters.InappropriateMatching as exc:
        raise SearchError(Result.INAPPROPRIATE_MATCHING, f"unsupported matching rule: {exc}") from None
    return found


def select(view: DirectoryView, entry: Entry, requested: list[str], types_only: bool) -> list[tuple[str, list[str]]]:
    """The attributes to return for ``entry`` per the request's list (RFC 4511 4.5.1.8)."""
    wanted = {name.lower() for name in requested}
    if "1.1" in wanted and len(wanted) == 1:
        return []
    all_user = not wanted or "*" in wanted
    all_operational = "+" in wanted
    out = []
    for key, (name, values) in entry.attrs.items():
        operational = key in OPERATIONAL_LOWER
        if key in NEVER_RETURNED:
            continue
        if key in wanted or (operational and all_operational) or (not operational and all_user):
            out.append((name, [] if types_only else values))
    for name, values in view.dynamic_values(entry):
        if all_user or name.lower() in wanted:
            out.append((name, [] if types_only else values))
    if "entrydn" in wanted or all_operational:
        out.append(("entryDN", [] if types_only else [entry.dn]))
    return out
