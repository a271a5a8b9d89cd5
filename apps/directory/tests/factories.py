"""Plain factory functions for tests (no factory_boy)."""

from __future__ import annotations

import itertools

from apps.directory.models import Group, GroupType, Membership, User

_seq = itertools.count(1)


def create_test_user(username: str | None = None, *, password: str | None = "Passw0rd!x", **fields) -> User:
    n = next(_seq)
    user = User(username=(username or f"user{n}").lower(), name=fields.pop("name", f"User {n}"), **fields)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


def group_type(key: str) -> GroupType:
    return GroupType.objects.select_related("root").get(key=key)


def create_test_group(
    name: str | None = None,
    *,
    parent: Group | None = None,
    type_key: str = "department",
    uid: str | None = None,
    **fields,
) -> Group:
    """Creates a group directly (bypassing actions) with a correct materialised path."""
    n = next(_seq)
    parent = parent or group_type(type_key).root
    group = Group.objects.create(
        uid=uid or f"g{n}",
        name=name or f"Group {n}",
        type_id=parent.type_id,
        parent=parent,
        path="",
        depth=parent.depth + 1,
        **fields,
    )
    group.path = f"{parent.path}{group.pk}/"
    group.save(update_fields=["path"])
    return group


def add_member(group: Group, user: User, order: int = 0) -> Membership:
    return Membership.objects.create(group=group, user=user, order=order)
