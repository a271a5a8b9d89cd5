"""Custom in-app permissions: create, rename, delete. Access and system permissions are
created with their app or by migration and cannot be deleted one by one."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict, DomainError
from apps.permissions import cache
from apps.permissions.models import App, Permission

_ACTION_RE = re.compile(r"^[a-z0-9]+$")


def _snapshot(perm: Permission) -> dict:
    return {"uid": perm.uid, "name": perm.name, "action": perm.action, "kind": perm.kind}


def _clean_name(name) -> str:
    name = str(name or "").strip()
    if not name:
        raise DomainError("A permission needs a name.", field="name", code="required")
    if len(name) > 255:
        raise DomainError("At most 255 characters.", field="name", code="max_length")
    return name


def _generate_action(app: App, name: str) -> str:
    """A free ``[a-z0-9]+`` slug from the name (v1 generated one too), numbered if taken."""
    base = re.sub(r"[^a-z0-9]", "", slugify(name)) or "perm"
    base = base[:48]
    taken = set(Permission.objects.filter(app=app, action__startswith=base).values_list("action", flat=True))
    if base not in taken and base != "access":
        return base
    n = 1
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _clean_action(action) -> str:
    action = str(action).strip().lower()
    if not _ACTION_RE.match(action) or len(action) > 64:
        raise DomainError("Use lower-case letters and digits only.", field="action", code="invalid")
    if action == "access":
        raise DomainError("'access' is the app's own access permission.", field="action", code="reserved")
    return action


@transaction.atomic
def create_permission(*, actor, app: App, name: str, action: str | None = None) -> Permission:
    name = _clean_name(name)
    action = _clean_action(action) if action else _generate_action(app, name)
    perm = Permission(uid=f"app_{app.uid}_{action}", name=name, app=app, action=action, kind=Permission.Kind.CUSTOM)
    try:
        with transaction.atomic():
            perm.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(f"Permission {perm.uid} already exists.", field="action", code="existed") from exc
    cache.forget_app(app.uid)
    record_event(
        Action.PERMISSION_CREATED, actor=actor, target=perm, changes=diff({}, _snapshot(perm)), detail={"app": app.uid}
    )
    return perm


@transaction.atomic
def rename_permission(perm: Permission, name: str, *, actor) -> Permission:
    name = _clean_name(name)
    before = _snapshot(perm)
    if perm.name != name:
        perm.name = name
        perm.save(update_fields=["name", "updated"])
        if perm.app_id is not None:
            cache.forget_app(perm.app.uid)
        record_event(Action.PERMISSION_UPDATED, actor=actor, target=perm, changes=diff(before, _snapshot(perm)))
    return perm


@transaction.atomic
def delete_permission(perm: Permission, *, actor) -> None:
    if perm.kind != Permission.Kind.CUSTOM:
        raise DomainError(
            "Access and system permissions go with their app or the system; they cannot be deleted alone.",
            field="perm",
            code="undeletable",
        )
    perm_id, before = perm.pk, _snapshot(perm)
    record_event(Action.PERMISSION_DELETED, actor=actor, target=perm, changes=diff(before, {}))
    app_uid = perm.app.uid if perm.app_id is not None else None
    perm.delete()
    cache.bump_perms([perm_id])
    if app_uid is not None:
        cache.forget_app(app_uid)
