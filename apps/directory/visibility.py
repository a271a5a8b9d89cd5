"""Who may see which group and which colleague in the address book (ArkID v1's five policies).

A group is *fully visible* to an employee (non-administrator) according to its ``visibility``:

1. everyone;
2. members of the group;
3. members of the group or of any of its descendants;
4. the listed users (``visible_users``) and members of the listed groups (``visible_groups``)
   or of any group below a listed one;
5. nobody.

Administrators see everything. A group that is not fully visible but has a fully visible
descendant is shown by name only (no members). An employee sees a colleague when any group the
colleague belongs to is fully visible to the employee; everyone sees themself.

Everything is a set computation: the viewer's direct group ids and their ancestors (read from
the materialised paths) are loaded once, and then one SQL condition (:func:`fully_visible_q`)
evaluates any number of groups, so the cost does not grow with the size of a tree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.directory.models import Group, Membership, User, Visibility


class NodeState(enum.StrEnum):
    VISIBLE = "visible"
    NAME_ONLY = "name_only"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Viewer:
    """What visibility needs to know about the person looking, loaded once per request."""

    user_id: int
    is_admin: bool
    group_ids: frozenset[int]  # groups the viewer is a direct member of
    up_ids: frozenset[int]  # those groups and all their ancestors


def _ids_in_path(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def viewer_for(user: User) -> Viewer:
    """One query: the viewer's memberships with their groups' paths."""
    if user.is_admin:
        return Viewer(user.pk, True, frozenset(), frozenset())
    rows = list(Membership.objects.filter(user=user).values_list("group_id", "group__path"))
    up_ids = {pk for _, path in rows for pk in _ids_in_path(path)}
    return Viewer(user.pk, False, frozenset(gid for gid, _ in rows), frozenset(up_ids))


def fully_visible_q(viewer: Viewer) -> Q:
    """A condition on Group that holds for the groups fully visible to a non-admin viewer."""
    listed_user = Group.visible_users.through.objects.filter(user_id=viewer.user_id).values("group_id")
    # A listed group covers its subtree: the viewer qualifies when the listed group is one of
    # the viewer's groups or an ancestor of one, i.e. in up_ids.
    listed_group = Group.visible_groups.through.objects.filter(to_group_id__in=viewer.up_ids).values("from_group_id")
    return (
        Q(visibility=Visibility.EVERYONE)
        | Q(visibility=Visibility.MEMBERS, pk__in=viewer.group_ids)
        | Q(visibility=Visibility.MEMBERS_AND_DESCENDANTS, pk__in=viewer.up_ids)
        | Q(visibility=Visibility.LISTED, pk__in=listed_user)
        | Q(visibility=Visibility.LISTED, pk__in=listed_group)
    )


def fully_visible_groups(viewer: Viewer, groups: QuerySet[Group] | None = None) -> QuerySet[Group]:
    groups = Group.objects.all() if groups is None else groups
    return groups if viewer.is_admin else groups.filter(fully_visible_q(viewer))


def subtree_states(viewer: Viewer, root: Group, subtree: Iterable[Group]) -> dict[int, NodeState]:
    """The state of every group of ``subtree`` (``root`` and all its descendants), in one query."""
    subtree = list(subtree)
    if viewer.is_admin:
        return {g.pk: NodeState.VISIBLE for g in subtree}
    in_subtree = Group.objects.filter(path__startswith=root.path)
    visible = set(fully_visible_groups(viewer, in_subtree).values_list("pk", flat=True))
    by_id = {g.pk: g for g in subtree}
    # Ancestors of a visible group are at least shown by name, so the viewer can reach it.
    named = {pk for vid in visible if vid in by_id for pk in _ids_in_path(by_id[vid].path)}
    return {
        g.pk: NodeState.VISIBLE if g.pk in visible else NodeState.NAME_ONLY if g.pk in named else NodeState.HIDDEN
        for g in subtree
    }


def group_state(viewer: Viewer, group: Group) -> NodeState:
    """The state of one group: two EXISTS queries, whatever the size of its subtree."""
    if viewer.is_admin:
        return NodeState.VISIBLE
    visible = fully_visible_groups(viewer, Group.objects.filter(path__startswith=group.path))
    if visible.filter(pk=group.pk).exists():
        return NodeState.VISIBLE
    if visible.exists():
        return NodeState.NAME_ONLY
    return NodeState.HIDDEN


def can_see_user(viewer: Viewer, user: User) -> bool:
    if viewer.is_admin or viewer.user_id == user.pk:
        return True
    return fully_visible_groups(viewer, Group.objects.filter(memberships__user=user)).exists()


def visible_groups_of(viewer: Viewer, user: User) -> QuerySet[Group]:
    """The groups of ``user`` that the viewer fully sees (shown on a colleague's card)."""
    groups = Group.objects.filter(memberships__user=user).select_related("type")
    return fully_visible_groups(viewer, groups).order_by("type__order", "depth", "order", "id")


def visible_users(viewer: Viewer) -> QuerySet[User]:
    """Active users the viewer may see: members of a fully visible group, and the viewer."""
    users = User.objects.filter(is_active=True)
    if viewer.is_admin:
        return users
    in_visible_group = Membership.objects.filter(user=OuterRef("pk"), group__in=fully_visible_groups(viewer))
    return users.filter(Q(pk=viewer.user_id) | Q(Exists(in_visible_group)))
