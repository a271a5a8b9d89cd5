"""Group types: the built-in department, role and label trees, and an administrator's own kinds.

Each type owns one root group whose uid is the type key, so ArkID v1's node uid ``g_<key>``
keeps working for custom categories. The built-ins are fixed: they cannot be renamed or deleted.
"""

from __future__ import annotations

import re
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict, DomainError
from apps.directory import scope
from apps.directory.models import Group, GroupType, Membership
from apps.directory.normalize import clean_name

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*\Z")
KEY_MAX_LENGTH = 64
NAME_MAX_LENGTH = 128


def _key_taken(key: str) -> bool:
    # The key doubles as the root group's uid, so it must be free in both tables.
    return GroupType.objects.filter(key=key).exists() or Group.objects.filter(uid=key).exists()


def _clean_key(key: str) -> str:
    key = (key or "").strip().lower()
    if not KEY_PATTERN.match(key) or len(key) > KEY_MAX_LENGTH:
        raise DomainError(
            f"Use lower-case letters, digits, '-' and '_' (at most {KEY_MAX_LENGTH}), starting with a letter or digit.",
            field="key",
        )
    if _key_taken(key):
        raise Conflict("This key is already used by a group type or a group.", field="key")
    return key


def _generate_key(name: str) -> str:
    """An ASCII slug of the name, or ``t`` + random hex when the name has no ASCII letters (e.g. 中文)."""
    base = slugify(name)[: KEY_MAX_LENGTH - 7]
    if base and not _key_taken(base):
        return base
    prefix = f"{base}-" if base else "t"
    while True:
        candidate = prefix + secrets.token_hex(3)
        if not _key_taken(candidate):
            return candidate


def _snapshot(group_type: GroupType) -> dict:
    # "slug", not "key": the audit trail masks any field whose name contains "key" as a secret.
    return {"slug": group_type.key, "name": group_type.name}


@transaction.atomic
@transaction.atomic
def create_group_type(*, actor, name: str, key: str | None = None) -> GroupType:
    """A custom group type (v1's category) with its root group. A sub-administrator who
    creates one is given a manager group over it (through the scope module's hook)."""
    name = clean_name(name, max_length=NAME_MAX_LENGTH)
    key = _clean_key(key) if key else _generate_key(name)
    next_order = (GroupType.objects.aggregate(m=Max("order"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            group_type = GroupType.objects.create(key=key, name=name, order=next_order)
            root = Group.objects.create(uid=key, name=name, type=group_type, path="", depth=0)
            root.path = f"/{root.pk}/"
            root.save(update_fields=["path"])
            group_type.root = root
            group_type.save(update_fields=["root"])
    except IntegrityError:  # a concurrent create took the key between the check and the insert
        raise Conflict("This key is already used by a group type or a group.", field="key") from None
    record_event(Action.GROUP_TYPE_CREATED, actor=actor, target=group_type, changes=diff({}, _snapshot(group_type)))
    scope.created_by_manager(actor, root)
    return group_type


def _refuse_builtin(group_type: GroupType) -> None:
    if group_type.is_builtin:
        raise DomainError("Built-in group types cannot be renamed or deleted.", field="key", code="builtin")


@transaction.atomic
def rename_group_type(group_type: GroupType, *, actor, name: str) -> GroupType:
    _refuse_builtin(group_type)
    name = clean_name(name, max_length=NAME_MAX_LENGTH)
    before = _snapshot(group_type)
    if name == group_type.name:
        return group_type
    group_type.name = name
    group_type.save(update_fields=["name", "updated"])
    # The root group is the category as v1 showed it; keep its name in step.
    Group.objects.filter(pk=group_type.root_id).update(name=name)
    record_event(Action.GROUP_TYPE_UPDATED, actor=actor, target=group_type, changes=diff(before, _snapshot(group_type)))
    return group_type


@transaction.atomic
def delete_group_type(group_type: GroupType, *, actor) -> None:
    _refuse_builtin(group_type)
    group_type = GroupType.objects.select_for_update().get(pk=group_type.pk)
    if Group.objects.filter(type=group_type).exclude(pk=group_type.root_id).exists():
        raise DomainError("Delete the groups of this type first.", field="key", code="not_empty")
    if Membership.objects.filter(group__type=group_type).exists():
        raise DomainError("Remove the members of this type's root first.", field="key", code="not_empty")
    before = _snapshot(group_type)
    root_id = group_type.root_id
    group_type.root = None
    group_type.save(update_fields=["root"])
    Group.objects.filter(pk=root_id).delete()
    record_event(Action.GROUP_TYPE_DELETED, actor=actor, target=group_type, changes=diff(before, {}))
    group_type.delete()
