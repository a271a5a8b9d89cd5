"""Authorised reads of permissions, their white/black lists and their results.

Administrators manage every permission. Sub-administrators (members of a manager group) see
and grant only the permissions of the apps they manage, to users and groups in their scope:
anything else is a 404, as if it did not exist. System permissions are granted only through
manager groups, by administrators. Every function checks the actor first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from apps.directory.models import Group, GroupType, Membership, User
from apps.directory.queries.groups import node_subject
from apps.directory.scope import ManageScope, changeable_users, manageable_groups, manageable_users, resolve_scope
from apps.permissions.models import Permission, PermissionStatus

OWNER_USER = "user"
OWNER_ALL = "all"


def require_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied


def _require_manager(actor) -> ManageScope:
    found = resolve_scope(actor)
    if not found.can_manage:
        raise PermissionDenied
    return found


def manageable_perms(actor) -> QuerySet[Permission]:
    """Every permission for an administrator; those of the managed apps for a sub-administrator."""
    found = _require_manager(actor)
    perms = Permission.objects.select_related("app")
    return perms if found.is_admin else perms.filter(app_id__in=sorted(found.app_ids))


def get_perm(actor, uid: str) -> Permission:
    perm = manageable_perms(actor).filter(uid=uid).first()
    if perm is None:
        raise Http404("No such permission.")
    return perm


def get_user(actor, username: str, *, for_write: bool = False) -> User:
    """A user in the actor's reach; for writes not an administrator nor a sub-administrator."""
    found = _require_manager(actor)
    users = changeable_users(actor, found) if for_write else manageable_users(actor, found)
    user = users.filter(username=str(username).strip().lower()).first()
    if user is None:
        raise Http404("No such user.")
    return user


def _in_scope(found: ManageScope, field: str) -> Q:
    """``field`` (a user id) is a user the sub-administrator manages: listed by name, or a
    direct member of a group in a scope subtree. Probed as EXISTS per row with the (user_id)
    membership index: the rows it filters (a page of holders, a white/black list) are far
    fewer than the scope's members, which an IN list would collect first."""
    condition = Q(**{f"{field}__in": list(found.user_ids)}) if found.user_ids else Q(pk__in=[])
    if found.group_paths:
        subtree = Q(pk__in=[])
        for path in found.group_paths:
            subtree |= Q(group__path__startswith=path)
        condition |= Exists(Membership.objects.filter(subtree, user_id=OuterRef(field)))
    return condition


def scoped_holders(actor, users: QuerySet[User]) -> QuerySet[User]:
    """``users`` narrowed to the actor's scope."""
    found = _require_manager(actor)
    return users if found.is_admin else users.filter(_in_scope(found, "pk"))


@dataclass(frozen=True)
class PermFilters:
    scope: str = ""
    action: str = ""
    action_except: str = ""
    name: str = ""


def list_perms(actor, filters: PermFilters | None = None) -> QuerySet[Permission]:
    f = filters or PermFilters()
    perms = manageable_perms(actor)
    if f.scope:
        # v1's scope is the app uid for app perms; for system perms it is the middle of the uid.
        perms = perms.filter(Q(app__uid=f.scope) | Q(app__isnull=True, uid__startswith=f"system_{f.scope}_"))
    if f.action:
        perms = perms.filter(action__startswith=f.action)
    if f.action_except:
        perms = perms.exclude(action__startswith=f.action_except)
    if f.name:
        perms = perms.filter(name__icontains=f.name)
    return perms.order_by("id")


def _owner_filter(owner_subject: str) -> Q:
    """Statuses whose owner is of ``owner_subject``: user, dept, role, label or a type key."""
    if owner_subject in ("", OWNER_ALL):
        return Q()
    if owner_subject == OWNER_USER:
        return Q(user__isnull=False)
    key = GroupType.DEPARTMENT if owner_subject == "dept" else owner_subject
    return Q(group__type__key=key)


def owner_statuses(actor, perm: Permission, owner_subject: str = OWNER_ALL, status=None) -> QuerySet:
    """The explicit white/black list of ``perm``, users first, then groups; a
    sub-administrator sees only the owners in their scope."""
    rows = _owners_in_scope(actor, PermissionStatus.objects.filter(_owner_filter(owner_subject), perm=perm))
    if status is not None:
        rows = rows.filter(status=status)
    return rows.select_related("user", "group__type").order_by("group_id", "id")


def _owners_in_scope(actor, rows: QuerySet[PermissionStatus]) -> QuerySet[PermissionStatus]:
    """Status rows whose owner the actor may see (all of them for an administrator)."""
    found = _require_manager(actor)
    if found.is_admin:
        return rows
    in_scope = Q(user_id__isnull=False) & _in_scope(found, "user_id")
    in_scope |= Q(group_id__in=manageable_groups(actor, found).values("pk"))
    return rows.filter(in_scope)


def describe_owner(row: PermissionStatus) -> dict:
    if row.user_id:
        return {"uid": row.user.username, "name": row.user.name, "subject": OWNER_USER, "status": row.status}
    group = row.group
    return {"uid": group.node_uid, "name": group.name, "subject": node_subject(group.type), "status": row.status}


def first_owners(actor, perms: list[Permission], owner_subject: str, limit: int = 10) -> dict[int, dict]:
    """v1's ``permit_owners`` / ``reject_owners`` for a page of perms, in one query (only the
    owners the actor may see)."""
    out: dict[int, dict] = defaultdict(lambda: {"permit_owners": [], "reject_owners": []})
    rows = _owners_in_scope(actor, PermissionStatus.objects.filter(_owner_filter(owner_subject), perm__in=perms))
    for row in rows.select_related("user", "group__type").order_by("perm_id", "group_id", "id"):
        bucket = out[row.perm_id]["permit_owners" if row.status == 1 else "reject_owners"]
        if len(bucket) < limit:
            bucket.append(describe_owner(row))
    return out


def own_statuses(owner_field: str, owner, perms: list[Permission]) -> dict[int, int]:
    rows = PermissionStatus.objects.filter(**{owner_field: owner}, perm__in=perms)
    return dict(rows.values_list("perm_id", "status"))


def group_values(group: Group, perms: list[Permission]) -> dict[int, bool]:
    """v1's node value: the nearest explicit status on the group's path (itself first) is a
    grant. One query for the whole path."""
    path_ids = [int(part) for part in group.path.strip("/").split("/") if part]
    explicit: dict[int, dict[int, int]] = defaultdict(dict)
    for perm_id, group_id, status in PermissionStatus.objects.filter(perm__in=perms, group_id__in=path_ids).values_list(
        "perm_id", "group_id", "status"
    ):
        explicit[perm_id][group_id] = status
    values = {}
    for perm in perms:
        found = next((explicit[perm.pk][g] for g in reversed(path_ids) if g in explicit[perm.pk]), 0)
        values[perm.pk] = found == 1
    return values


def resolve_perm_uids(actor, uids) -> tuple[dict[str, Permission], list[str]]:
    """Permissions the actor may grant, by uid; the others (unknown or out of reach) listed."""
    wanted = list(dict.fromkeys(str(u) for u in uids))
    found = {p.uid: p for p in manageable_perms(actor).filter(uid__in=wanted)}
    return found, [u for u in wanted if u not in found]
