"""Group trees: create, update, move, sort and delete groups. Every change is audited.

Trees are a materialised path of primary keys (``/1/5/9/``). Structural writes (create, move,
sort, delete) first lock the group type's row: that serialises them per tree, so a move cannot
race a concurrent create under the moved subtree (which would keep a stale path) or a crossing
move (A into B while B goes into A, which would make a cycle).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.text import slugify

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict, DomainError
from apps.directory.models import Group, GroupType, Membership, Visibility
from apps.directory.normalize import clean_name
from apps.directory.queries.groups import resolve_node_uids, resolve_usernames
from apps.directory.signals import send_tree_changed

UID_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+\Z")
UID_MAX_LENGTH = 128
NAME_MAX_LENGTH = 255
PATH_MAX_LENGTH = 2048
# A primary key and its slash: room kept free in the path before adding one more level.
PATH_LEVEL_RESERVE = 21


def _lock_tree(type_id: int) -> None:
    list(GroupType.objects.select_for_update().filter(pk=type_id).values_list("pk", flat=True))


def _locked(group: Group) -> Group:
    """The group re-read under a row lock, so its path is current."""
    return Group.objects.select_for_update().select_related("type").get(pk=group.pk)


def _clean_visibility(value) -> int:
    if value not in Visibility.values:
        raise DomainError(f"Choose one of {', '.join(map(str, Visibility.values))}.", field="visibility")
    return int(value)


def _clean_uid(uid: str) -> str:
    uid = (uid or "").strip()
    if not UID_PATTERN.match(uid) or len(uid) > UID_MAX_LENGTH:
        raise DomainError(
            f"Use letters, digits, '-' and '_' only (at most {UID_MAX_LENGTH}).", field="uid", code="invalid"
        )
    if Group.objects.filter(uid=uid).exists():
        raise Conflict("A group with this uid already exists.", field="uid")
    return uid


def _generate_uid(name: str) -> str:
    """An ASCII slug of the name, else ``g`` + random hex; a random suffix when the slug is taken."""
    base = slugify(name)[: UID_MAX_LENGTH - 8]
    if base and not Group.objects.filter(uid=base).exists():
        return base
    prefix = f"{base}-" if base else "g"
    while True:
        candidate = prefix + secrets.token_hex(3)
        if not Group.objects.filter(uid=candidate).exists():
            return candidate


def _end_of_siblings(parent: Group) -> int:
    current = Group.objects.filter(parent=parent).aggregate(m=Max("order"))["m"]
    return 0 if current is None else current + 1


def _snapshot(group: Group) -> dict:
    return {
        "name": group.name,
        "remark": group.remark,
        "visibility": group.visibility,
        "node_scope": sorted(g.node_uid for g in group.visible_groups.select_related("type")),
        "user_scope": sorted(group.visible_users.values_list("username", flat=True)),
    }


@transaction.atomic
def create_group(
    *,
    actor,
    parent: Group,
    name: str,
    uid: str | None = None,
    remark: str = "",
    visibility: int = Visibility.EVERYONE,
    order: int | None = None,
) -> Group:
    name = clean_name(name, max_length=NAME_MAX_LENGTH)
    visibility = _clean_visibility(visibility)
    _lock_tree(parent.type_id)
    parent = _locked(parent)
    if len(parent.path) + PATH_LEVEL_RESERVE > PATH_MAX_LENGTH:
        raise DomainError("The tree is too deep to add a group here.", field="parent")
    uid = _clean_uid(uid) if uid else _generate_uid(name)
    try:
        with transaction.atomic():
            group = Group.objects.create(
                uid=uid,
                name=name,
                type=parent.type,
                parent=parent,
                path="",
                depth=parent.depth + 1,
                order=_end_of_siblings(parent) if order is None else order,
                remark=remark or "",
                visibility=visibility,
            )
            group.path = f"{parent.path}{group.pk}/"
            group.save(update_fields=["path"])
    except IntegrityError:  # another request took the uid after our check
        raise Conflict("A group with this uid already exists.", field="uid") from None
    record_event(
        Action.GROUP_CREATED,
        actor=actor,
        target=group,
        changes=diff({}, {"uid": uid, "name": name, "remark": group.remark, "visibility": visibility}),
        detail={"node_uid": group.node_uid, "parent": parent.node_uid},
    )
    return group


UPDATABLE_FIELDS = ("name", "remark", "visibility", "node_scope", "user_scope")


@transaction.atomic
def update_group(group: Group, fields: dict, *, actor) -> Group:
    """Change name, remark, visibility and the visibility lists.

    ``node_scope`` is a list of node uids, ``user_scope`` a list of usernames (ArkID v1's names);
    unknown entries are a 400 that lists them.
    """
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise DomainError(f"Cannot change: {', '.join(sorted(unknown))}.", field="detail")
    group = _locked(group)
    before = _snapshot(group)
    if "name" in fields:
        name = clean_name(fields["name"], max_length=NAME_MAX_LENGTH)
        if group.is_root and name != group.name:
            raise DomainError("A tree's root is named after its group type; rename the type.", field="name")
        group.name = name
    if "remark" in fields:
        group.remark = fields["remark"] or ""
    if "visibility" in fields:
        group.visibility = _clean_visibility(fields["visibility"])
    group.save(update_fields=["name", "remark", "visibility", "updated"])
    if "node_scope" in fields:
        groups, missing = resolve_node_uids(fields["node_scope"] or [])
        if missing:
            raise DomainError(f"Unknown nodes: {', '.join(missing)}.", field="node_scope")
        group.visible_groups.set(groups)
    if "user_scope" in fields:
        users, missing = resolve_usernames(fields["user_scope"] or [])
        if missing:
            raise DomainError(f"Unknown users: {', '.join(missing)}.", field="user_scope")
        group.visible_users.set(users)
    changes = diff(before, _snapshot(group))
    if changes:
        record_event(
            Action.GROUP_UPDATED, actor=actor, target=group, changes=changes, detail={"node_uid": group.node_uid}
        )
    return group


@transaction.atomic
def move_group(group: Group, new_parent: Group, *, actor, order: int | None = None) -> Group:
    """Re-parent ``group`` and its whole subtree under ``new_parent`` with one UPDATE of paths."""
    if group.is_root:
        raise DomainError("A tree's root cannot be moved.", field="node", code="root")
    if new_parent.type_id != group.type_id:
        raise DomainError("A group can only move within its own tree.", field="node", code="across_scope")
    _lock_tree(group.type_id)
    group = _locked(group)
    new_parent = Group.objects.select_related("type").get(pk=new_parent.pk)
    if new_parent.path.startswith(group.path):
        raise DomainError("A group cannot move into itself or one of its descendants.", field="node", code="deadlock")
    old_parent = group.parent
    if old_parent.pk == new_parent.pk and order is None:
        return group
    old_path, new_path = group.path, f"{new_parent.path}{group.pk}/"
    if old_path != new_path:
        longest = Group.objects.filter(path__startswith=old_path).aggregate(m=Max(Length("path")))["m"]
        if longest - len(old_path) + len(new_path) > PATH_MAX_LENGTH:
            raise DomainError("The tree would be too deep after this move.", field="node")
        # One statement rewrites the prefix of every path in the subtree (the group included).
        Group.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (new_parent.depth + 1 - group.depth),
        )
        group.refresh_from_db(fields=["path", "depth"])
    if order is not None:
        group.order = order
    elif old_parent.pk != new_parent.pk:
        group.order = _end_of_siblings(new_parent)
    group.parent = new_parent
    group.save(update_fields=["parent", "order", "updated"])
    record_event(
        Action.GROUP_MOVED,
        actor=actor,
        target=group,
        changes={"parent": [old_parent.node_uid, new_parent.node_uid]},
        detail={"node_uid": group.node_uid},
    )
    send_tree_changed("group_moved")
    return group


@transaction.atomic
def sort_children(parent: Group, children_in_order: Sequence[Group], *, actor) -> None:
    """Put the listed children first, in the given order; the others follow in their old order."""
    _lock_tree(parent.type_id)
    listed = list(dict.fromkeys(children_in_order))
    strangers = [g.node_uid for g in listed if g.parent_id != parent.pk]
    if strangers:
        raise DomainError(
            f"Not children of {parent.node_uid}: {', '.join(strangers)}.", field="node_uids", code="unrelated"
        )
    listed_ids = [g.pk for g in listed]
    rest = list(Group.objects.filter(parent=parent).exclude(pk__in=listed_ids).order_by("order", "id"))
    rows = list(Group.objects.filter(pk__in=listed_ids))
    by_id = {g.pk: g for g in rows}
    ordered = [by_id[pk] for pk in listed_ids] + rest
    for position, child in enumerate(ordered):
        child.order = position
    Group.objects.bulk_update(ordered, ["order"], batch_size=500)
    record_event(
        Action.GROUPS_SORTED,
        actor=actor,
        target=parent,
        detail={"node_uid": parent.node_uid, "order": [g.node_uid for g in listed]},
    )


@transaction.atomic
def delete_group(group: Group, *, actor) -> None:
    """ArkID v1's rule: only an empty group (no children, no members) can go; roots never."""
    if group.is_root:
        raise DomainError("A tree's root cannot be deleted.", field="node", code="root")
    _lock_tree(group.type_id)
    group = _locked(group)
    if Group.objects.filter(parent=group).exists():
        raise DomainError("Delete or move this group's children first.", field="node", code="has_children")
    if Membership.objects.filter(group=group).exists():
        raise DomainError("Remove this group's members first.", field="node", code="has_members")
    before = _snapshot(group)
    node_uid, parent_node_uid = group.node_uid, group.parent.node_uid
    record_event(
        Action.GROUP_DELETED,
        actor=actor,
        target=group,
        changes=diff(before, {}),
        detail={"node_uid": node_uid, "parent": parent_node_uid},
    )
    group.delete()
    send_tree_changed("group_deleted")


@transaction.atomic
def adopt_groups(parent: Group, groups: Sequence[Group], *, actor) -> None:
    """ArkID v1's ``subject: add`` on a node's children: move each group under ``parent``, in order."""
    for group in dict.fromkeys(groups):
        move_group(group, parent, actor=actor)
