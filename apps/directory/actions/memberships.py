"""Memberships: which users sit in which groups, in what order. Every change is audited."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Max

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.directory.models import Group, GroupType, Membership, User
from apps.directory.signals import send_tree_changed


def _audit(action: Action, group: Group, users: Sequence[User], actor, **detail) -> None:
    record_event(
        action,
        actor=actor,
        target=group,
        target_name=group.name,
        detail={"node_uid": group.node_uid, "users": [u.username for u in users], **detail},
    )


def _next_order(group: Group) -> int:
    current = Membership.objects.filter(group=group).aggregate(m=Max("order"))["m"]
    return (current if current is not None else -1) + 1


@transaction.atomic
def add_members(group: Group, users: Sequence[User], *, actor) -> list[User]:
    """Append users to the group; users already in it keep their place. Returns the added."""
    existing = set(Membership.objects.filter(group=group, user__in=users).values_list("user_id", flat=True))
    added = [u for u in dict.fromkeys(users) if u.pk not in existing]
    if not added:
        return []
    start = _next_order(group)
    # ignore_conflicts: a concurrent add of the same user must not fail the whole request.
    Membership.objects.bulk_create(
        [Membership(group=group, user=u, order=start + i) for i, u in enumerate(added)], ignore_conflicts=True
    )
    _audit(Action.MEMBERS_ADDED, group, added, actor)
    send_tree_changed("membership")
    return added


@transaction.atomic
def remove_members(group: Group, users: Sequence[User], *, actor) -> list[User]:
    memberships = Membership.objects.filter(group=group, user__in=users)
    removed_ids = set(memberships.values_list("user_id", flat=True))
    if not removed_ids:
        return []
    memberships.delete()
    removed = [u for u in dict.fromkeys(users) if u.pk in removed_ids]
    _audit(Action.MEMBERS_REMOVED, group, removed, actor)
    send_tree_changed("membership")
    return removed


@transaction.atomic
def override_members(group: Group, users: Sequence[User], *, actor) -> None:
    """Make ``users`` exactly the group's members, in the given order."""
    wanted = list(dict.fromkeys(users))
    wanted_ids = {u.pk for u in wanted}
    stale = list(User.objects.filter(memberships__group=group).exclude(pk__in=wanted_ids))
    if stale:
        remove_members(group, stale, actor=actor)
    add_members(group, wanted, actor=actor)
    _reorder(group, wanted)


@transaction.atomic
def sort_members(group: Group, users: Sequence[User], *, actor) -> None:
    """Put the listed members first, in the given order; the others follow in their old order."""
    listed = list(dict.fromkeys(users))
    listed_ids = {u.pk for u in listed}
    rest = list(User.objects.filter(memberships__group=group).exclude(pk__in=listed_ids).order_by("memberships__order"))
    members = set(Membership.objects.filter(group=group).values_list("user_id", flat=True))
    _reorder(group, [u for u in listed if u.pk in members] + rest)
    _audit(Action.MEMBERS_SORTED, group, listed, actor)


def _reorder(group: Group, ordered: Sequence[User]) -> None:
    position = {u.pk: i for i, u in enumerate(ordered)}
    rows = list(Membership.objects.filter(group=group, user_id__in=position))
    for row in rows:
        row.order = position[row.user_id]
    Membership.objects.bulk_update(rows, ["order"], batch_size=500)


@transaction.atomic
def move_out(group: Group, users: Sequence[User], targets: Iterable[Group], *, actor) -> list[User]:
    """Move users from ``group`` into each of ``targets`` (ArkID v1's ``move_out`` subject).

    Only actual members of ``group`` move: a listed user who is not in it is not pulled into the
    targets. Returns the users moved."""
    targets = [t for t in dict.fromkeys(targets) if t.pk != group.pk]
    moved = remove_members(group, users, actor=actor)
    for target in targets:
        add_members(target, moved, actor=actor)
    return moved


@transaction.atomic
def set_user_groups(user: User, groups: Sequence[Group], *, actor, group_type: GroupType | None = None) -> None:
    """Make ``groups`` exactly the user's memberships (within one type when given)."""
    current = Membership.objects.filter(user=user).select_related("group__type")
    if group_type is not None:
        current = current.filter(group__type=group_type)
    wanted_ids = {g.pk for g in groups}
    for membership in current:
        if membership.group_id not in wanted_ids:
            remove_members(membership.group, [user], actor=actor)
    for group in groups:
        add_members(group, [user], actor=actor)
