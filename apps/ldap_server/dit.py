"""The directory information tree: one shared in-memory view of users, groups and memberships.

Layout (``docs/ldap.md``)::

    <base>                                   dcObject + organization
      ou=people,<base>                       uid=<username> (inetOrgPerson [+ posixAccount])
      ou=dept,<base>                         the department root; departments nest below it
        cn=<uid>,ou=dept,<base>              groupOfNames [+ posixGroup]
      ou=group,<base>
        ou=<type key>,ou=group,<base>        the root of every other group type (role, label, ...)
          cn=<uid>,ou=<type>,ou=group,<base>

The view is built once from the database (:meth:`DirectoryView.load`) and then patched row by
row (:meth:`apply_user`, :meth:`apply_group`, :meth:`reload_memberships`) by the change feed
(:mod:`apps.ldap_server.changes`). ``member`` and ``memberOf`` are not stored on entries: they
are computed from two id maps, so a membership change touches two sets and a group rename
touches one entry. Every connection reads the same view; nothing is copied per connection.

Pure mapping functions (``user_entry``/``group_entry``) take plain dicts, so they are tested
without a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from apps.ldap_server import matching

USER_FIELDS = (
    "id",
    "uuid",
    "username",
    "name",
    "email",
    "mobile",
    "employee_number",
    "position",
    "is_active",
    "created",
    "updated",
)
GROUP_FIELDS = ("id", "uuid", "uid", "name", "parent_id", "path", "type__key", "created", "updated")
POSIX_UID_BASE = 10000
POSIX_GID_BASE = 10000

# Attributes returned only when asked for by name or with "+" (RFC 4512 operational).
OPERATIONAL = ("entryUUID", "entryDN", "createTimestamp", "modifyTimestamp", "structuralObjectClass",
               "subschemaSubentry", "hasSubordinates")  # fmt: skip
OPERATIONAL_LOWER = frozenset(name.lower() for name in OPERATIONAL)


@dataclass(slots=True)
class Entry:
    """One LDAP entry. ``attrs`` maps the lower-cased name to (display name, values); ``norm``
    holds the values normalised for matching, computed once when the entry is built."""

    dn: str
    kind: str  # "user", "group" or "static"
    pk: int = 0
    attrs: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    norm: dict[str, list] = field(default_factory=dict)
    parent: str = ""  # normalised DN of the parent

    def set(self, name: str, values: list[str]) -> None:
        values = [v for v in values if v not in ("", None)]
        if values:
            key = name.lower()
            self.attrs[key] = (name, values)
            self.norm[key] = [matching.normalize(key, v) for v in values]


def _ts(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ") if value else ""


def _operational(entry: Entry, row: dict, structural: str, children: bool) -> None:
    entry.set("entryUUID", [str(row["uuid"])])
    entry.set("createTimestamp", [_ts(row.get("created"))])
    entry.set("modifyTimestamp", [_ts(row.get("updated"))])
    entry.set("structuralObjectClass", [structural])
    entry.set("hasSubordinates", ["TRUE" if children else "FALSE"])


def user_entry(row: dict, people_dn: str, posix: bool) -> Entry:
    """A user row (``USER_FIELDS``) as an inetOrgPerson entry. ArkID keeps one ``name``, so it
    fills cn, sn, givenName and displayName alike; userPassword is never part of an entry."""
    dn = f"uid={escape_rdn(row['username'])},{people_dn}"
    entry = Entry(dn=dn, kind="user", pk=row["id"], parent=matching.normalize_dn(people_dn))
    name = row["name"] or row["username"]
    classes = ["top", "person", "organizationalPerson", "inetOrgPerson"]
    if posix:
        classes.append("posixAccount")
    entry.set("objectClass", classes)
    entry.set("uid", [row["username"]])
    entry.set("cn", [name])
    entry.set("sn", [name])
    entry.set("givenName", [name])
    entry.set("displayName", [name])
    entry.set("mail", [row["email"]])
    entry.set("mobile", [row["mobile"]])
    entry.set("telephoneNumber", [row["mobile"]])
    entry.set("employeeNumber", [row["employee_number"]])
    entry.set("title", [row["position"]])
    if posix:
        entry.set("uidNumber", [str(POSIX_UID_BASE + row["id"])])
        entry.set("gidNumber", [str(POSIX_UID_BASE + row["id"])])
        entry.set("homeDirectory", [f"/home/{row['username']}"])
        entry.set("loginShell", ["/bin/bash"])
    _operational(entry, row, "inetOrgPerson", children=False)
    return entry


def group_entry(row: dict, parent_dn: str, posix: bool, children: bool) -> Entry:
    """A group row (``GROUP_FIELDS``) as a groupOfNames entry named by its uid; cn also holds the
    display name. Members are computed by the view, not stored here."""
    dn = f"cn={escape_rdn(row['uid'])},{parent_dn}"
    entry = Entry(dn=dn, kind="group", pk=row["id"], parent=matching.normalize_dn(parent_dn))
    classes = ["top", "groupOfNames"] + (["posixGroup"] if posix else [])
    entry.set("objectClass", classes)
    entry.set("cn", list(dict.fromkeys([row["uid"], row["name"]])))
    entry.set("description", [row["name"]])
    if posix:
        entry.set("gidNumber", [str(POSIX_GID_BASE * 2 + row["id"])])
    _operational(entry, row, "groupOfNames", children=children)
    return entry


def static_entry(dn: str, parent: str, classes: list[str], **attrs: str) -> Entry:
    entry = Entry(dn=dn, kind="static", parent=matching.normalize_dn(parent) if parent else "")
    entry.set("objectClass", ["top", *classes])
    for name, value in attrs.items():
        entry.set(name, [value])
    entry.set("structuralObjectClass", [classes[-1]])
    entry.set("hasSubordinates", ["TRUE"])
    return entry


def escape_rdn(value: str) -> str:
    """RFC 4514 escaping of an attribute value inside a DN."""
    out = []
    for index, char in enumerate(value):
        if char in ',+"\\<>;=' or (char == "#" and index == 0) or (char == " " and index in (0, len(value) - 1)):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


class DirectoryView:
    """Entries by normalised DN plus equality indexes, shared by every connection.

    Readers run on the event loop thread; the change feed applies updates on the same thread,
    between requests, so no locking is needed.
    """

    INDEXED = ("uid", "mail", "cn", "entryuuid", "employeenumber", "mobile", "objectclass")

    def __init__(self, base_dn: str, posix: bool = False):
        self.base_dn = base_dn
        self.posix = posix
        self.people_dn = f"ou=people,{base_dn}"
        self.dept_dn = f"ou=dept,{base_dn}"
        self.group_dn = f"ou=group,{base_dn}"
        self.entries: dict[str, Entry] = {}
        self.user_dn: dict[int, str] = {}  # user pk -> normalised DN
        self.group_dn_by_id: dict[int, str] = {}
        self.group_rows: dict[int, dict] = {}
        self.type_roots: dict[int, str] = {}  # pk of a type's root group -> its container DN
        self.members: dict[int, set[int]] = {}  # group pk -> active user pks
        self.member_of: dict[int, set[int]] = {}  # user pk -> group pks
        self.index: dict[str, dict[object, set[str]]] = {name: {} for name in self.INDEXED}
        self.parent_ids: set[int] = set()  # groups with children (hasSubordinates)
        self.version = 0

    # Building --------------------------------------------------------------------------------

    def _put(self, entry: Entry) -> None:
        key = matching.normalize_dn(entry.dn)
        self._drop(key)
        self.entries[key] = entry
        for name in self.INDEXED:
            for value in entry.norm.get(name, ()):
                self.index[name].setdefault(value, set()).add(key)

    def _drop(self, key: str) -> None:
        old = self.entries.pop(key, None)
        if old is None:
            return
        for name in self.INDEXED:
            for value in old.norm.get(name, ()):
                keys = self.index[name].get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self.index[name][value]

    def _static(self) -> None:
        base = self.base_dn
        first_rdn = base.split(",", 1)[0]
        rdn_attr, _, rdn_value = first_rdn.partition("=")
        attrs = {rdn_attr.strip(): rdn_value.strip(), "o": rdn_value.strip()}
        self._put(static_entry(base, "", ["dcObject", "organization"], **attrs))
        self._put(static_entry(self.people_dn, base, ["organizationalUnit"], ou="people"))
        self._put(static_entry(self.dept_dn, base, ["organizationalUnit"], ou="dept"))
        self._put(static_entry(self.group_dn, base, ["organizationalUnit"], ou="group"))

    def load(self, snapshot: tuple) -> None:
        """Build everything from :func:`fetch_all`'s snapshot."""
        users, groups, pairs = snapshot
        self.__init__(self.base_dn, self.posix)
        self._static()
        for row in users:
            self._set_user(row)
        self._set_groups(groups)
        self._load_memberships(pairs)
        self.version += 1

    def _set_groups(self, rows: list[dict]) -> None:
        self.group_rows = {row["id"]: row for row in rows}
        self.parent_ids = {row["parent_id"] for row in rows}
        for row in sorted(rows, key=lambda r: r["path"].count("/")):
            self._set_group(row)

    def _load_memberships(self, pairs) -> None:
        self.members, self.member_of = {}, {}
        for group_id, user_id in pairs:
            self.members.setdefault(group_id, set()).add(user_id)
            self.member_of.setdefault(user_id, set()).add(group_id)

    def _set_user(self, row: dict) -> None:
        old = self.user_dn.pop(row["id"], None)
        if old:
            self._drop(old)
        if not row["is_active"]:
            return
        entry = user_entry(row, self.people_dn, self.posix)
        self._put(entry)
        self.user_dn[row["id"]] = matching.normalize_dn(entry.dn)

    def _group_parent_dn(self, row: dict) -> str | None:
        parent_id = row["parent_id"]
        if parent_id is None:
            return None
        if parent_id in self.type_roots:
            return self.type_roots[parent_id]
        parent_key = self.group_dn_by_id.get(parent_id)
        return self.entries[parent_key].dn if parent_key else None

    def _set_group(self, row: dict) -> None:
        old = self.group_dn_by_id.pop(row["id"], None)
        if old:
            self._drop(old)
        if row["parent_id"] is None:  # a type's root: the container itself
            if row["type__key"] == "department":
                self.type_roots[row["id"]] = self.dept_dn
            else:
                dn = f"ou={escape_rdn(row['type__key'])},{self.group_dn}"
                self.type_roots[row["id"]] = dn
                self._put(static_entry(dn, self.group_dn, ["organizationalUnit"], ou=row["type__key"]))
            return
        parent_dn = self._group_parent_dn(row)
        if parent_dn is None:
            return
        children = row["id"] in self.parent_ids
        entry = group_entry(row, parent_dn, self.posix, children)
        self._put(entry)
        self.group_dn_by_id[row["id"]] = matching.normalize_dn(entry.dn)

    # Incremental updates (data from the fetch_* functions) ---------------------------------

    def put_user(self, pk: int, row: dict | None, group_ids: list[int]) -> None:
        """Replace one user (``row`` None or inactive: drop it) and its memberships."""
        row = row or {"id": pk, "is_active": False}
        self._set_user(row)
        for group_id in self.member_of.pop(pk, set()):
            self.members.get(group_id, set()).discard(pk)
        if row["is_active"]:
            for group_id in group_ids:
                self.members.setdefault(group_id, set()).add(pk)
                self.member_of.setdefault(pk, set()).add(group_id)
        self.version += 1

    def put_group(self, pk: int, row: dict | None, user_ids: list[int]) -> None:
        """Replace one group; when its DN changed (moved, new uid) its subtree is rebuilt."""
        old_dn = self.group_dn_by_id.get(pk)
        if row is None:
            self.group_rows.pop(pk, None)
            if old_dn:
                self._drop(old_dn)
            self.group_dn_by_id.pop(pk, None)
            for user_id in self.members.pop(pk, set()):
                self.member_of.get(user_id, set()).discard(pk)
            self.version += 1
            return
        self.group_rows[pk] = row
        self.parent_ids.add(row["parent_id"])
        self._set_group(row)
        parent = self.group_rows.get(row["parent_id"])
        if parent is not None and parent["parent_id"] is not None:  # it may now have children
            self._set_group(parent)
        if self.group_dn_by_id.get(pk) != old_dn:
            self._rebuild_subtree(row["path"])
        users = set(user_ids)
        for user_id in self.members.get(pk, set()) - users:
            self.member_of.get(user_id, set()).discard(pk)
        for user_id in users:
            self.member_of.setdefault(user_id, set()).add(pk)
        self.members[pk] = users
        self.version += 1

    def _rebuild_subtree(self, path: str) -> None:
        below = [r for r in self.group_rows.values() if r["path"].startswith(path) and r["path"] != path]
        for row in sorted(below, key=lambda r: r["path"].count("/")):
            self._set_group(row)

    def put_tree(self, groups: list[dict], pairs) -> None:
        """After a tree-wide change the directory makes with bulk SQL (moves, bulk membership
        writes): replace groups and memberships, keeping the user entries."""
        for key in list(self.group_dn_by_id.values()):
            self._drop(key)
        self.group_dn_by_id, self.type_roots = {}, {}
        self._set_groups(groups)
        self._load_memberships(pairs)
        self.version += 1

    # Reading ------------------------------------------------------------------------------------

    def get(self, dn: str) -> Entry | None:
        return self.entries.get(matching.normalize_dn(dn))

    def member_dns(self, entry: Entry) -> list[str]:
        if entry.kind != "group":
            return []
        keys = (self.user_dn.get(pk) for pk in self.members.get(entry.pk, ()))
        return [self.entries[k].dn for k in keys if k]

    def member_of_dns(self, entry: Entry) -> list[str]:
        if entry.kind != "user":
            return []
        keys = (self.group_dn_by_id.get(pk) for pk in self.member_of.get(entry.pk, ()))
        return [self.entries[k].dn for k in keys if k]

    def dynamic_norm(self, entry: Entry, name: str) -> list:
        """Normalised values of the computed attributes (member, memberOf, memberUid, entryDN)."""
        # The view's keys are normalised DNs already: no per-value normalising on this hot path.
        if name == "member" or name == "uniquemember":
            return self._member_keys(entry) if entry.kind == "group" else []
        if name == "memberof":
            if entry.kind != "user":
                return []
            keys = (self.group_dn_by_id.get(pk) for pk in self.member_of.get(entry.pk, ()))
            return [k for k in keys if k]
        if name == "memberuid" and self.posix:
            return [self.entries[k].norm["uid"][0] for k in self._member_keys(entry)]
        if name == "entrydn":
            return [matching.normalize_dn(entry.dn)]
        return []

    def _member_keys(self, entry: Entry) -> list[str]:
        keys = (self.user_dn.get(pk) for pk in self.members.get(entry.pk, ()))
        return [k for k in keys if k]

    def dynamic_values(self, entry: Entry) -> list[tuple[str, list[str]]]:
        out: list[tuple[str, list[str]]] = []
        if entry.kind == "group":
            members = self.member_dns(entry)
            if members:
                out.append(("member", members))
                if self.posix:
                    out.append(("memberUid", [self.entries[k].attrs["uid"][1][0] for k in self._member_keys(entry)]))
        elif entry.kind == "user":
            groups = self.member_of_dns(entry)
            if groups:
                out.append(("memberOf", groups))
        return out

    def members_of_group_dn(self, dn: str) -> set[str]:
        """Normalised user DNs that are direct members of the group ``dn`` (the memberOf index)."""
        entry = self.entries.get(dn)
        if entry is None or entry.kind != "group":
            return set()
        return set(self._member_keys(entry))

    def groups_of_user_dn(self, dn: str) -> set[str]:
        """Normalised group DNs that list the user ``dn`` as a member (the member index)."""
        entry = self.entries.get(dn)
        if entry is None or entry.kind != "user":
            return set()
        keys = (self.group_dn_by_id.get(pk) for pk in self.member_of.get(entry.pk, ()))
        return {k for k in keys if k}


# Reading the database (in a worker thread; the view itself is only touched on the loop) ----


def fetch_all() -> tuple:
    from apps.directory.models import User

    users = list(User.objects.filter(is_active=True).values(*USER_FIELDS).iterator(chunk_size=2000))
    return users, *fetch_tree()


def fetch_tree() -> tuple[list[dict], list[tuple[int, int]]]:
    from apps.directory.models import Group, Membership

    groups = list(Group.objects.values(*GROUP_FIELDS).order_by("path"))
    return groups, list(Membership.objects.values_list("group_id", "user_id"))


def fetch_user(pk: int) -> tuple[int, dict | None, list[int]]:
    from apps.directory.models import Membership, User

    row = User.objects.filter(pk=pk).values(*USER_FIELDS).first()
    groups = list(Membership.objects.filter(user_id=pk).values_list("group_id", flat=True)) if row else []
    return pk, row, groups


def fetch_group(pk: int) -> tuple[int, dict | None, list[int]]:
    from apps.directory.models import Group, Membership

    row = Group.objects.filter(pk=pk).values(*GROUP_FIELDS).first()
    users = list(Membership.objects.filter(group_id=pk).values_list("user_id", flat=True)) if row else []
    return pk, row, users
