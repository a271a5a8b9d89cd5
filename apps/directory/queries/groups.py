"""Reading group trees. Every query uses the materialised path, never a recursive walk:
descendants are one ``path LIKE '/1/5/%'`` range scan, ancestors are the ids written in the path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from apps.directory import scope
from apps.directory.models import Group, GroupType, Membership, User

NODE_SUBJECT_DEPARTMENT = "dept"  # ArkID v1 calls the department tree's subject "dept"


def node_subject(group_type: GroupType) -> str:
    """ArkID v1's ``node_subject``: ``dept`` for departments, the type key otherwise."""
    return NODE_SUBJECT_DEPARTMENT if group_type.key == GroupType.DEPARTMENT else group_type.key


def _split_node_uid(node_uid: str) -> tuple[bool, str] | None:
    """(is_department, uid) for ``d_<uid>`` / ``g_<uid>``; None when the prefix is neither."""
    if node_uid.startswith(Group.NODE_PREFIX_DEPARTMENT):
        return True, node_uid[len(Group.NODE_PREFIX_DEPARTMENT) :]
    if node_uid.startswith(Group.NODE_PREFIX_GROUP):
        return False, node_uid[len(Group.NODE_PREFIX_GROUP) :]
    return None


def _prefix_matches(group: Group, is_department: bool) -> bool:
    return (group.type.key == GroupType.DEPARTMENT) == is_department


def resolve_node_uid(node_uid: str) -> Group:
    """The group behind ArkID v1's node uid: ``d_x`` must be a department, ``g_x`` any other type."""
    parts = _split_node_uid(node_uid or "")
    if parts is None or not parts[1]:
        raise Http404("No such node.")
    is_department, uid = parts
    group = Group.objects.select_related("type", "parent").filter(uid=uid).first()
    if group is None or not _prefix_matches(group, is_department):
        raise Http404("No such node.")
    return group


def resolve_node_uids(node_uids: Iterable[str]) -> tuple[list[Group], list[str]]:
    """(groups in the given order, node uids that match nothing), in one query."""
    wanted = list(dict.fromkeys(node_uids))
    parsed = {node_uid: _split_node_uid(str(node_uid)) for node_uid in wanted}
    uids = [parts[1] for parts in parsed.values() if parts]
    by_uid = {g.uid: g for g in Group.objects.select_related("type").filter(uid__in=uids)}
    found, missing = [], []
    for node_uid, parts in parsed.items():
        group = by_uid.get(parts[1]) if parts else None
        if group is not None and _prefix_matches(group, parts[0]):
            found.append(group)
        else:
            missing.append(node_uid)
    return found, missing


def resolve_usernames(usernames: Iterable[str]) -> tuple[list[User], list[str]]:
    """(users in the given order, usernames that match nobody), in one query."""
    wanted = list(dict.fromkeys(str(name).strip().lower() for name in usernames))
    by_name = {u.username: u for u in User.objects.filter(username__in=wanted)}
    return [by_name[n] for n in wanted if n in by_name], [n for n in wanted if n not in by_name]


def group_type_by_key(key: str) -> GroupType:
    group_type = GroupType.objects.select_related("root").filter(key=key).first()
    if group_type is None:
        raise Http404("No such group type.")
    return group_type


def access_group(actor: User, node_uid: str, *, for_write: bool = False) -> Group:
    """The group ``actor`` asked for: administrators reach every group, sub-administrators
    the groups in their scope (others are a 404, as if they did not exist). A type's root
    group (``d_root``, ``g_role``...) is above every scope, so only administrators change it."""
    found = scope.resolve_scope(actor)
    if not found.can_manage:
        raise PermissionDenied
    group = resolve_node_uid(node_uid)
    if not scope.can_manage_group(actor, group, found):
        raise Http404
    return group


def descendants(group: Group, *, include_self: bool = False) -> QuerySet[Group]:
    """The whole subtree below ``group`` (one prefix query), parents before children."""
    subtree = Group.objects.filter(path__startswith=group.path).select_related("type")
    if not include_self:
        subtree = subtree.exclude(pk=group.pk)
    return subtree.order_by("depth", "order", "id")


def ancestors(group: Group) -> QuerySet[Group]:
    """From the root down to the parent; the ids come from the path, so this is one query."""
    return Group.objects.filter(pk__in=group.ancestor_ids).select_related("type").order_by("depth")


def children(group: Group) -> QuerySet[Group]:
    return Group.objects.filter(parent=group).select_related("type").order_by("order", "id")


def subtree_memberships(group: Group) -> QuerySet[Membership]:
    return Membership.objects.filter(group__path__startswith=group.path)


def subtree_headcount(group: Group) -> int:
    """Distinct users in the group and all its descendants, in one query."""
    return subtree_memberships(group).values("user_id").distinct().count()


@dataclass(frozen=True)
class MemberFilters:
    """ArkID v1's member-list filters; every field optional."""

    name: str = ""
    username: str = ""
    mobile: str = ""
    email: str = ""
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    active_after: dt.datetime | None = None
    active_before: dt.datetime | None = None


def members(group: Group, filters: MemberFilters | None = None) -> QuerySet[User]:
    """Direct members of ``group`` in their membership order."""
    f = filters or MemberFilters()
    conditions = Q(memberships__group=group)
    for field in ("name", "username", "mobile", "email"):
        value = getattr(f, field)
        if value:
            conditions &= Q(**{f"{field}__icontains": value})
    ranges = {
        "created__gte": f.created_after,
        "created__lte": f.created_before,
        "last_active_time__gte": f.active_after,
        "last_active_time__lte": f.active_before,
    }
    conditions &= Q(**{lookup: value for lookup, value in ranges.items() if value is not None})
    # One filter() call, so ordering by memberships__order reuses the membership join of this group.
    return User.objects.filter(conditions).order_by("memberships__order", "memberships__id")
