"""Applying a :class:`~apps.dingtalk.fetch.Snapshot` to the directory, through its actions.

Called inside one transaction (see :mod:`apps.dingtalk.sync`): departments first (created
top-down, renamed, moved), then users (linked by userid; new ones matched to local users by
mobile/email before being created), then memberships of the DingTalk department groups,
and only for a complete snapshot the removals (users deactivated, never deleted; empty
departments deleted bottom-up). Nothing is written for what did not change, so a second
run against an unchanged DingTalk writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from apps.audit.actions import build_event, record_events
from apps.audit.models import Action
from apps.core.exceptions import DomainError
from apps.dingtalk.fetch import ROOT, Snapshot
from apps.dingtalk.models import DingTalkDepartment, DingTalkUser
from apps.directory.actions import groups as group_actions
from apps.directory.actions import memberships as membership_actions
from apps.directory.actions import users as user_actions
from apps.directory.models import Group, GroupType, Membership, Origin, User
from apps.directory.user_validation import USERNAME_RE, clean_user_fields, unique_key_q, with_unique_keys

logger = logging.getLogger(__name__)
SYNCED_FIELDS = ("name", "email", "mobile", "position", "employee_number", "avatar", "hire_date")
UNIQUE = ("email", "mobile")
SOURCES = {
    "name": ("name",),
    "email": ("email", "org_email"),
    "mobile": ("mobile",),
    "position": ("title",),
    "employee_number": ("job_number",),
    "avatar": ("avatar",),
    "hire_date": ("hired_date",),
}


@dataclass
class Outcome:
    counts: dict = field(default_factory=lambda: defaultdict(int))
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if len(self.warnings) < 200:
            self.warnings.append(message)
        self.counts["warnings"] += 1


# --- field mapping --------------------------------------------------------------------------------
def _mobile(record: dict) -> str:
    mobile = str(record.get("mobile") or "").strip()
    if not mobile or mobile.startswith("+"):
        return mobile
    code = str(record.get("state_code") or "86").strip()
    return f"+{code}{mobile}" if code != "86" else mobile


def _hire_date(record: dict):
    value = record.get("hired_date")
    if not value:
        return None
    return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC).date()


def user_fields(record: dict, outcome: Outcome) -> dict:
    """DingTalk record -> cleaned directory fields; a value the directory refuses is left
    out (and reported) rather than failing the whole sync."""
    raw = {
        "name": str(record.get("name") or "")[:255],
        "email": str(record.get("email") or record.get("org_email") or ""),
        "mobile": _mobile(record),
        "position": str(record.get("title") or "")[:255],
        "employee_number": str(record.get("job_number") or "")[:64],
        "avatar": str(record.get("avatar") or "")[:512],
        "hire_date": _hire_date(record),
    }
    # DingTalk leaves a field out when the app lacks its permission (mobile, email) or the
    # value is empty; an absent field leaves the local value alone instead of erasing it.
    raw = {key: value for key, value in raw.items() if any(source in record for source in SOURCES[key])}
    cleaned = {}
    for key, value in raw.items():
        try:
            cleaned.update(clean_user_fields({key: value}, allowed=SYNCED_FIELDS))
        except ValidationError:
            outcome.warn(f"user {record['userid']}: {key} {value!r} ignored (invalid)")
            cleaned[key] = "" if key != "hire_date" else None
    return cleaned


def _username_base(userid: str) -> str:
    candidate = userid.lower()
    if USERNAME_RE.match(candidate):
        return candidate
    return "dingtalk-" + (re.sub(r"[^a-z0-9._-]", "", candidate)[:120] or "user")


# --- departments ----------------------------------------------------------------------------------
class Departments:
    def __init__(self, outcome: Outcome):
        self.outcome = outcome
        dept_type = GroupType.objects.select_related("root").get(key=GroupType.DEPARTMENT)
        self.type_root = dept_type.root
        self.links = {link.dept_id: link for link in DingTalkDepartment.objects.select_related("group")}

    def group(self, dept_id: int) -> Group | None:
        link = self.links.get(dept_id)
        return link.group if link else None

    def _parent_group(self, dept: dict) -> Group | None:
        if dept["dept_id"] == ROOT:
            return self.type_root
        return self.group(dept["parent_id"])

    def apply(self, snap: Snapshot) -> list[int]:
        """Create, rename and move; returns the dept ids whose parent is unknown locally."""
        orphans = []
        pending = dict(snap.depts)
        while pending:  # parents before children, whatever order the snapshot has
            progressed = False
            for dept_id, dept in list(pending.items()):
                parent = self._parent_group(dept)
                if parent is None and dept["parent_id"] in pending:
                    continue
                del pending[dept_id]
                progressed = True
                if parent is None:
                    orphans.append(dept_id)
                    continue
                self._apply_one(dept, parent)
            if not progressed:
                orphans.extend(pending)
                break
        return orphans

    def _apply_one(self, dept: dict, parent: Group) -> None:
        link = self.links.get(dept["dept_id"])
        if link is None:
            group = group_actions.create_group(
                actor=None, parent=parent, name=dept["name"] or str(dept["dept_id"]), uid=f"dingtalk-{dept['dept_id']}"
            )
            self.links[dept["dept_id"]] = DingTalkDepartment.objects.create(
                dept_id=dept["dept_id"], group=group, parent_id=dept["parent_id"]
            )
            self.outcome.counts["groups_created"] += 1
            return
        group = link.group
        if group.name != dept["name"] and dept["name"]:
            group_actions.update_group(group, {"name": dept["name"]}, actor=None)
            self.outcome.counts["groups_renamed"] += 1
        if group.parent_id != parent.pk:
            link.group = group_actions.move_group(group, parent, actor=None)
            self.outcome.counts["groups_moved"] += 1
        if link.parent_id != dept["parent_id"]:
            link.parent_id = dept["parent_id"]
            link.save(update_fields=["parent_id"])

    def remove(self, dept_ids) -> None:
        """Delete the groups of departments gone from DingTalk, deepest first; a group an
        administrator put other members or groups in stays (reported)."""
        doomed = [self.links[d] for d in dept_ids if d in self.links]
        for link in sorted(doomed, key=lambda link: -link.group.depth):
            try:
                group_actions.delete_group(link.group, actor=None)
            except DomainError as exc:
                self.outcome.warn(f"department {link.dept_id}: group kept ({exc.message})")
                continue
            del self.links[link.dept_id]
            self.outcome.counts["groups_deleted"] += 1


# --- users ----------------------------------------------------------------------------------------
class Users:
    def __init__(self, outcome: Outcome, *, match_by_mobile: bool, match_by_email: bool):
        self.outcome = outcome
        self.match_by_mobile, self.match_by_email = match_by_mobile, match_by_email
        self.links: dict[str, DingTalkUser] = {}

    def load_links(self, userids=None) -> None:
        query = DingTalkUser.objects.select_related("user")
        if userids is not None:
            query = query.filter(userid__in=list(userids))
        self.links = {link.userid: link for link in query}

    def apply(self, snap: Snapshot) -> None:
        changes, new_records = [], []
        for userid, record in snap.users.items():
            fields = user_fields(record, self.outcome)
            link = self.links.get(userid)
            if link is None:
                new_records.append((record, fields))
                continue
            user = link.user
            if not user.is_active and link.data.get("deactivated_by_sync"):
                # Back in DingTalk. A user an administrator deactivated stays deactivated.
                user_actions.update_user(user, {"is_active": True}, actor=None)
                link.data = {k: v for k, v in link.data.items() if k != "deactivated_by_sync"}
                link.save(update_fields=["data"])
                self.outcome.counts["users_reactivated"] += 1
            if any(getattr(user, k) != v for k, v in fields.items()):
                changes.append((user, fields))
            if record.get("unionid") and link.unionid != record["unionid"]:
                link.unionid = record["unionid"]
                link.save(update_fields=["unionid"])
        self._drop_taken(changes)
        if changes:
            updated = user_actions.update_prechecked_users(changes, actor=None)
            self.outcome.counts["users_updated"] += len(updated)
        if new_records:
            self._link_or_create(new_records)

    def _taken(self, field_name: str, values) -> dict[str, int]:
        values = [v for v in values if v]
        if not values:
            return {}
        taken = {}
        for start in range(0, len(values), 500):
            query = with_unique_keys(User.objects.all()).filter(unique_key_q(field_name, values[start : start + 500]))
            for value, pk in query.values_list(field_name, "pk"):
                taken[value.lower() if field_name == "email" else value] = pk
        return taken

    def _drop_taken(self, changes: list[tuple[User, dict]]) -> None:
        """Blank a unique value held by another local user (reported), so the update cannot fail."""
        for field_name in UNIQUE:
            wanted = [f.get(field_name) for u, f in changes if f.get(field_name) != getattr(u, field_name)]
            taken = self._taken(field_name, wanted)
            for user, fields in changes:
                value = fields.get(field_name)
                if not value or value == getattr(user, field_name):
                    continue
                holder = taken.get(value.lower() if field_name == "email" else value)
                if holder is not None and holder != user.pk:
                    fields[field_name] = getattr(user, field_name)
                    self.outcome.warn(f"user {user.username}: {field_name} {value} belongs to another user")

    def _link_or_create(self, new_records: list[tuple[dict, dict]]) -> None:
        by_mobile = (
            self._taken("mobile", [f.get("mobile", "") for _r, f in new_records]) if self.match_by_mobile else {}
        )
        by_email = self._taken("email", [f.get("email", "") for _r, f in new_records]) if self.match_by_email else {}
        linked_pks = set(DingTalkUser.objects.values_list("user_id", flat=True))
        to_link: dict[int, dict] = {}
        to_create: list[tuple[dict, dict]] = []
        for record, fields in new_records:
            pk = by_mobile.get(fields.get("mobile", "")) or by_email.get(fields.get("email", "").lower())
            if pk and pk not in linked_pks and pk not in to_link:
                to_link[pk] = record
            else:
                to_create.append((record, fields))
        if to_link:
            self._link_existing(to_link)
        if to_create:
            self._create(to_create)

    def _link_existing(self, to_link: dict[int, dict]) -> None:
        users = User.objects.in_bulk(list(to_link))
        links = [
            DingTalkUser(userid=record["userid"], unionid=record.get("unionid") or "", user=users[pk])
            for pk, record in to_link.items()
        ]
        DingTalkUser.objects.bulk_create(links)
        record_events(
            [
                build_event(Action.DINGTALK_USER_LINKED, target=link.user, detail={"userid": link.userid})
                for link in links
            ]
        )
        for link in links:
            self.links[link.userid] = link
        changes = [(link.user, user_fields(to_link[link.user_id], self.outcome)) for link in links]
        self._drop_taken(changes)
        updated = user_actions.update_prechecked_users(changes, actor=None)
        self.outcome.counts["users_linked"] += len(links)
        self.outcome.counts["users_updated"] += len(updated)

    def _create(self, to_create: list[tuple[dict, dict]]) -> None:
        # Unique values some other local user already holds are left out (reported).
        for field_name in UNIQUE:
            taken = self._taken(field_name, [f.get(field_name, "") for _r, f in to_create])
            seen: set[str] = set()
            for record, fields in to_create:
                value = fields.get(field_name, "")
                key = value.lower() if field_name == "email" else value
                if key and (key in taken or key in seen):
                    self.outcome.warn(f"user {record['userid']}: {field_name} {value} already in use")
                    fields[field_name] = ""
                seen.add(key)
        bases = [_username_base(record["userid"]) for record, _f in to_create]
        used = set(User.objects.filter(username__in=bases).values_list("username", flat=True))
        rows = []
        for (_record, fields), base in zip(to_create, bases, strict=True):
            username, n = base, 1
            # ``used`` holds the taken bases; a suffixed candidate is also checked in the table.
            while username in used or (n > 1 and User.objects.filter(username=username).exists()):
                n += 1
                username = f"{base}-{n}"
            used.add(username)
            rows.append({"username": username, **fields})
        created = user_actions.create_prechecked_users(rows, actor=None, origin=Origin.DINGTALK)
        links = [
            DingTalkUser(userid=record["userid"], unionid=record.get("unionid") or "", user=user)
            for (record, _f), user in zip(to_create, created, strict=True)
        ]
        DingTalkUser.objects.bulk_create(links, batch_size=1000)
        for link in links:
            self.links[link.userid] = link
        self.outcome.counts["users_created"] += len(created)

    def deactivate(self, userids) -> list[User]:
        gone = []
        for userid in userids:
            link = self.links.get(userid)
            if link is None or not link.user.is_active:
                continue
            try:
                user_actions.update_user(link.user, {"is_active": False}, actor=None)
            except DomainError as exc:
                self.outcome.warn(f"user {link.user.username}: not deactivated ({exc.message})")
                continue
            link.data = {**link.data, "deactivated_by_sync": True}
            link.save(update_fields=["data"])
            gone.append(link.user)
            self.outcome.counts["users_deactivated"] += 1
        return gone


# --- memberships ----------------------------------------------------------------------------------
def reconcile_memberships(users: Users, depts: Departments, userids, outcome: Outcome) -> None:
    """Make each listed user's memberships among DingTalk department groups match DingTalk
    (a user with no record in ``wanted`` leaves them all). Other groups are left alone."""
    wanted: dict[int, set[int]] = {}  # user pk -> group pks
    for userid, dept_ids in userids.items():
        link = users.links.get(userid)
        if link is None:
            continue
        wanted[link.user_id] = {depts.links[d].group_id for d in dept_ids if d in depts.links}
    mapped = {link.group_id for link in depts.links.values()}
    current: dict[int, set[int]] = defaultdict(set)
    user_pks = list(wanted)
    for start in range(0, len(user_pks), 2000):
        rows = Membership.objects.filter(user_id__in=user_pks[start : start + 2000], group_id__in=mapped)
        for user_id, group_id in rows.values_list("user_id", "group_id"):
            current[user_id].add(group_id)
    adds, removes = defaultdict(list), defaultdict(list)
    for user_pk, groups in wanted.items():
        for group_pk in groups - current[user_pk]:
            adds[group_pk].append(user_pk)
        for group_pk in current[user_pk] - groups:
            removes[group_pk].append(user_pk)
    if not adds and not removes:
        return
    group_objs = Group.objects.in_bulk(list(set(adds) | set(removes)))
    user_objs = User.objects.in_bulk(list({pk for pks in [*adds.values(), *removes.values()] for pk in pks}))
    for group_pk, pks in removes.items():
        membership_actions.remove_members(group_objs[group_pk], [user_objs[pk] for pk in pks], actor=None)
        outcome.counts["memberships_removed"] += len(pks)
    for group_pk, pks in adds.items():
        membership_actions.add_members(group_objs[group_pk], [user_objs[pk] for pk in pks], actor=None)
        outcome.counts["memberships_added"] += len(pks)


def apply_snapshot(snap: Snapshot, *, match_by_mobile: bool, match_by_email: bool) -> Outcome:
    """The whole reconciliation; the caller holds the transaction and the lock."""
    outcome = Outcome()
    depts = Departments(outcome)
    orphans = depts.apply(snap)
    for dept_id in orphans:
        outcome.warn(f"department {dept_id}: parent {snap.depts[dept_id]['parent_id']} unknown; not applied")
    users = Users(outcome, match_by_mobile=match_by_mobile, match_by_email=match_by_email)
    users.load_links(None if snap.complete else set(snap.users) | snap.gone_users)
    users.apply(snap)
    membership_of = {userid: record["dept_id_list"] for userid, record in snap.users.items()}
    gone_users = set(snap.gone_users)
    if snap.complete:
        gone_users |= set(users.links) - set(snap.users)
    users.deactivate(sorted(gone_users))
    membership_of.update({userid: [] for userid in gone_users})
    reconcile_memberships(users, depts, membership_of, outcome)
    gone_depts = set(snap.gone_depts)
    if snap.complete:
        gone_depts |= set(depts.links) - set(snap.depts)
    depts.remove(gone_depts)
    outcome.counts["users_seen"] = len(snap.users)
    outcome.counts["departments_seen"] = len(snap.depts)
    return outcome
