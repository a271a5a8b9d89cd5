"""Rendering groups as ArkID v1 "nodes": info dicts, flat lists and ``{info, users, nodes, headcount}``
trees. Trees are assembled in memory from one descendants query (plus one members query),
never by querying node after node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.db.models import QuerySet

from apps.core.exceptions import DomainError
from apps.directory.models import Group, Membership
from apps.directory.queries.groups import node_subject

# A tree with users is one response; beyond this many memberships the paginated member list is the way.
MAX_TREE_MEMBERSHIPS = 5000


def _parent_node_uid(group: Group, by_id: dict[int, Group]) -> str | None:
    if group.parent_id is None:
        return None
    parent = by_id.get(group.parent_id) or group.parent
    return parent.node_uid


def admin_info(group: Group, by_id: dict[int, Group] | None = None) -> dict:
    return {
        "uuid": str(group.uuid),
        "uid": group.uid,
        "node_uid": group.node_uid,
        "node_subject": node_subject(group.type),
        "name": group.name,
        "remark": group.remark,
        "parent_node_uid": _parent_node_uid(group, by_id or {}),
        "visibility": group.visibility,
        "order": group.order,
        "depth": group.depth,
    }


def admin_detail(group: Group) -> dict:
    """Everything an administrator edits on one node, the visibility lists included."""
    return {
        **admin_info(group),
        "type": group.type.key,
        "node_scope": [g.node_uid for g in group.visible_groups.select_related("type").order_by("id")],
        "user_scope": list(group.visible_users.order_by("id").values_list("username", flat=True)),
        "created": group.created.isoformat(),
        "updated": group.updated.isoformat(),
    }


def preorder(root: Group, groups: Sequence[Group]) -> list[Group]:
    """``groups`` (a subtree sorted by depth, order, id) as a depth-first listing from ``root``."""
    children = _children_map(groups)
    listing, stack = [], [root]
    while stack:
        group = stack.pop()
        listing.append(group)
        stack.extend(reversed(children.get(group.pk, [])))
    return listing


def _children_map(groups: Iterable[Group]) -> dict[int, list[Group]]:
    children: dict[int, list[Group]] = defaultdict(list)
    for group in groups:
        if group.parent_id is not None:
            children[group.parent_id].append(group)
    return children


def subtree_member_rows(root: Group, *, active_only: bool = False) -> list[dict]:
    """The memberships of a whole subtree in one query, refusing subtrees too big for one response."""
    memberships: QuerySet[Membership] = Membership.objects.filter(group__path__startswith=root.path)
    if active_only:
        memberships = memberships.filter(user__is_active=True)
    if memberships.count() > MAX_TREE_MEMBERSHIPS:
        raise DomainError(
            f"This subtree has more than {MAX_TREE_MEMBERSHIPS} members; "
            "leave out user_required and page through node/<node_uid>/user/ instead.",
            field="user_required",
        )
    return list(
        memberships.order_by("group_id", "order", "id").values(
            "group_id", "user_id", "user__uuid", "user__username", "user__name"
        )
    )


def users_by_group(rows: Iterable[dict]) -> dict[int, list[dict]]:
    users: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        users[row["group_id"]].append(
            {"uuid": str(row["user__uuid"]), "username": row["user__username"], "name": row["user__name"]}
        )
    return users


def build_tree(
    root: Group,
    groups: Sequence[Group],
    *,
    info: Callable[[Group], dict],
    include: Callable[[Group], bool] = lambda g: True,
    users: dict[int, list[dict]] | None = None,
) -> dict:
    """v1's ``{info, users, nodes, headcount}``; ``users`` and ``headcount`` only when users are given.

    ``groups`` is the subtree sorted by depth, so parents come before children; excluded groups
    take their subtree with them. Built iteratively, so depth is not limited by recursion.
    """
    nodes: dict[int, dict] = {}
    order: list[Group] = []
    for group in groups:
        if not include(group) or (group.pk != root.pk and group.parent_id not in nodes):
            continue
        node = {"info": info(group)}
        if users is not None:
            node["users"] = users.get(group.pk, [])
        node["nodes"] = []
        nodes[group.pk] = node
        order.append(group)
        if group.pk != root.pk:
            nodes[group.parent_id]["nodes"].append(node)
    if users is not None:
        # Children after parents in ``order``, so walking it backwards finishes every subtree first.
        member_ids: dict[int, set[str]] = {}
        for group in reversed(order):
            node = nodes[group.pk]
            ids = {u["uuid"] for u in node["users"]}
            for child in node["nodes"]:
                ids |= member_ids.pop(id(child))
            node["headcount"] = len(ids)
            member_ids[id(node)] = ids
    return nodes[root.pk]
