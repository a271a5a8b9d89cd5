"""Reads the Groups pages need beyond the directory's queries: one page of a tree level at a
time, a sub-administrator's tops in a tree, the siblings a reorder hands to
``sort_children``, and a group's permissions with where each status comes from.

Every function is one or two indexed queries whatever the size of the directory: a level is
``parent_id = … ORDER BY order, id LIMIT n`` (the ``directory_group_children`` index), the
tops are an ``IN`` over the scope's few paths, and a permission's source is found among the
statuses of the group's own path (its ancestors' ids are written in it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from apps.directory import scope as directory_scope
from apps.directory.models import Group, GroupType
from apps.directory.queries import groups as group_queries
from apps.directory.scope import ManageScope
from apps.permissions import engine
from apps.permissions.models import Permission, PermissionStatus


def with_child_flag(groups: QuerySet[Group]) -> QuerySet[Group]:
    """Mark the groups that have children (an indexed EXISTS per row of the page), so leaves
    render without an expander."""
    return groups.annotate(has_children=Exists(Group.objects.filter(parent=OuterRef("pk"))))


def level(parent: Group) -> QuerySet[Group]:
    return with_child_flag(group_queries.children(parent))


def scope_tops(scope: ManageScope, group_type: GroupType) -> QuerySet[Group]:
    """Where a sub-administrator's tree starts: their scope's top groups in this type (they do
    not reach the type's root). An administrator starts at the root's children."""
    if scope.is_admin:
        return level(group_type.root)
    tops = Group.objects.filter(type=group_type, path__in=list(scope.group_paths)).select_related("type")
    return with_child_flag(tops.order_by("depth", "order", "id"))


def siblings_before(group: Group) -> QuerySet[Group]:
    """The siblings ahead of ``group`` in (order, id), the order the tree shows."""
    ahead = Group.objects.filter(parent_id=group.parent_id).exclude(pk=group.pk)
    earlier = ahead.filter(order__lt=group.order) | ahead.filter(order=group.order, id__lt=group.pk)
    return earlier.order_by("order", "id")


def reordered_prefix(group: Group, direction: str, position: int | None = None) -> list[Group]:
    """The leading siblings, in their new order, for ``sort_children`` (which puts the listed
    children first and keeps the others after them in their old order). Only the siblings up
    to the new place are read."""
    siblings = Group.objects.filter(parent_id=group.parent_id).order_by("order", "id")
    index = siblings_before(group).count()
    if direction == "up":
        target = max(index - 1, 0)
    elif direction == "down":
        target = index + 1
    else:
        target = max((position or 1) - 1, 0)
    others = list(siblings.exclude(pk=group.pk)[:target])
    return [*others, group]


@dataclass(frozen=True)
class PermRow:
    perm: Permission
    own: int  # the group's explicit status: 1 grant, -1 deny, 0 inherit (none)
    effective: int  # what the group resolves to along its path (0: nothing decides)
    source: Group | None  # the ancestor whose status applies, when inherited
    source_visible: bool  # False when that ancestor is outside the actor's scope


def perm_rows(actor, scope: ManageScope, group: Group, perms: list[Permission]) -> list[PermRow]:
    """Each permission of the page with the group's own status and, by the permission
    engine's rule (the nearest explicit status on the path), the effective status and its
    source. One query for the statuses on the path, one for the ancestors that are sources."""
    path_ids = [int(part) for part in group.path.strip("/").split("/") if part]
    explicit: dict[int, dict[int, int]] = {}
    for perm_id, group_id, status in PermissionStatus.objects.filter(perm__in=perms, group_id__in=path_ids).values_list(
        "perm_id", "group_id", "status"
    ):
        explicit.setdefault(perm_id, {})[group_id] = status
    resolved = {}
    for perm in perms:
        found = engine.resolve_groups([(group.pk, group.path)], explicit.get(perm.pk, {}))
        resolved[perm.pk] = found[0] if found else None
    source_ids = {r.source_id for r in resolved.values() if r and r.source_id != group.pk}
    sources = Group.objects.select_related("type").in_bulk(source_ids) if source_ids else {}
    rows = []
    for perm in perms:
        resolution = resolved[perm.pk]
        source = sources.get(resolution.source_id) if resolution else None
        rows.append(
            PermRow(
                perm=perm,
                own=explicit.get(perm.pk, {}).get(group.pk, 0),
                effective=resolution.status if resolution else 0,
                source=source,
                source_visible=bool(source and directory_scope.can_manage_group(actor, source, scope)),
            )
        )
    return rows


def visible_ancestors(actor, scope: ManageScope, group: Group) -> list[Group]:
    """The breadcrumb: ancestors the actor manages (a sub-administrator's start below them)."""
    return [g for g in group_queries.ancestors(group) if directory_scope.can_manage_group(actor, g, scope)]
