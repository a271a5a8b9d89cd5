"""Setting explicit grants (1) and denials (-1); 0 means "inherit" and deletes the row.

Every change is one audited event per call (with the before/after of each owner touched) and
bumps the cache version of each permission involved, so the next check is already right.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict, DomainError
from apps.directory.models import Group, User
from apps.permissions import cache
from apps.permissions.models import Permission, PermissionStatus

ALLOWED = (-1, 0, 1)


def clean_status(value, *, field: str = "status") -> int:
    try:
        status = int(value)
    except (TypeError, ValueError):
        status = None
    if status not in ALLOWED or isinstance(value, bool):
        raise DomainError("Status must be -1 (deny), 0 (inherit) or 1 (grant).", field=field, code="invalid")
    return status


def _owner_label(owner) -> str:
    return owner.node_uid if isinstance(owner, Group) else owner.username


def _apply(perm: Permission, owner_field: str, owner, status: int) -> tuple[int, int] | None:
    """Set one row; (before, after) when it changed, else None."""
    lookup = {"perm": perm, owner_field: owner}
    row = PermissionStatus.objects.select_for_update().filter(**lookup).first()
    before = row.status if row else 0
    if before == status:
        return None
    if status == 0:
        row.delete()
    elif row:
        row.status = status
        row.save(update_fields=["status"])
    else:
        try:
            with transaction.atomic():
                PermissionStatus.objects.create(status=status, **lookup)
        except IntegrityError as exc:  # a concurrent request created the same row
            raise Conflict("This status was changed concurrently; retry.", field="status", code="conflict") from exc
    return before, status


def _apply_all(entries: Iterable[tuple[Permission, str, object, int]]) -> dict[int, dict]:
    """{perm id: {owner label: [before, after]}} for the rows that changed."""
    changed: dict[int, dict] = {}
    for perm, owner_field, owner, status in entries:
        result = _apply(perm, owner_field, owner, clean_status(status))
        if result:
            changed.setdefault(perm.pk, {})[_owner_label(owner)] = list(result)
    return changed


def _validate(pairs: Sequence[tuple[object, int]], field: str) -> None:
    for _owner, status in pairs:
        clean_status(status, field=field)


def _audit(perm: Permission, changes: dict, *, actor, **detail) -> None:
    record_event(Action.PERMISSION_STATUSES_CHANGED, actor=actor, target=perm, changes=changes, detail=detail)


@transaction.atomic
def set_statuses(
    perm: Permission,
    *,
    actor,
    user_statuses: Sequence[tuple[User, int]] = (),
    group_statuses: Sequence[tuple[Group, int]] = (),
    clean: bool = False,
) -> dict:
    """Bulk-set one permission's owners. ``clean`` first clears every explicit status (v1's
    ``clean``), so the lists become the whole white/black list. Returns the changes."""
    _validate(user_statuses, "user_perm_status")
    _validate(group_statuses, "node_perm_status")
    perm = Permission.objects.select_for_update().get(pk=perm.pk)
    changes: dict = {}
    if clean:
        for row in PermissionStatus.objects.filter(perm=perm).select_related("user", "group__type"):
            changes[_owner_label(row.user or row.group)] = [row.status, 0]
        PermissionStatus.objects.filter(perm=perm).delete()
    entries = [(perm, "user", u, s) for u, s in user_statuses] + [(perm, "group", g, s) for g, s in group_statuses]
    for label, (before, after) in _apply_all(entries).get(perm.pk, {}).items():
        before = changes.get(label, [before])[0]
        changes[label] = [before, after]
    changes = {label: pair for label, pair in changes.items() if pair[0] != pair[1]}
    if changes:
        _audit(perm, changes, actor=actor, clean=clean)
        cache.bump_perms([perm.pk])
    return changes


def _set_owner_perms(owner_field: str, owner, perm_statuses: Sequence[tuple[Permission, int]], *, actor) -> dict:
    _validate(perm_statuses, "perm_statuses")
    changed = _apply_all((perm, owner_field, owner, s) for perm, s in perm_statuses)
    perms = {p.pk: p for p, _ in perm_statuses}
    for perm_id, changes in changed.items():
        _audit(perms[perm_id], changes, actor=actor, owner=_owner_label(owner))
    cache.bump_perms(changed)
    return {perms[pk].uid: list(c.values())[0] for pk, c in changed.items()}


@transaction.atomic
def set_user_perm_statuses(user: User, perm_statuses: Sequence[tuple[Permission, int]], *, actor) -> dict:
    """v1's ``PATCH perm/user/<username>/``: several permissions of one user."""
    return _set_owner_perms("user", user, perm_statuses, actor=actor)


@transaction.atomic
def set_group_perm_statuses(group: Group, perm_statuses: Sequence[tuple[Permission, int]], *, actor) -> dict:
    """v1's ``PATCH perm/node/<node_uid>/``: several permissions of one group."""
    return _set_owner_perms("group", group, perm_statuses, actor=actor)
