"""Creating, changing and deleting sub-administrator groups (v1's ``ManagerGroup``).

Only administrators call these (the API is admin-only), except :func:`create_for_new_app`,
which gives a sub-administrator who created an app a manager group managing it (v1's
``_auto_create_manager_group``). Every write is audited and bumps the scope version, so the
next check of any sub-administrator's scope already sees the change.

References arrive resolved (users, groups, apps, permissions); the API resolves v1 uids and
reports unknown ones. Only the base system permissions may be given to a manager group:
``system_oneid_all`` (everything) stays an administrator's privilege.
"""

from __future__ import annotations

import secrets as pysecrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict
from apps.directory.models import Group
from apps.directory.scope import bump_scope_version
from apps.permissions.manager_scope import BASE_SYSTEM_PERMS
from apps.permissions.models import App, ManagerGroup

RELATIONS = ("member_users", "member_groups", "scope_users", "scope_groups", "apps", "perms")
TEXT_FIELDS = {"name": 255, "remark": 10000}


def _text(field: str, value, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError({field: [_("This field is required.") if required else _("Must be text.")]})
    if len(value.strip()) > TEXT_FIELDS[field]:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": TEXT_FIELDS[field]}]})
    return value.strip()


def _clean(fields: dict, *, creating: bool) -> dict:
    cleaned = {}
    if creating or "name" in fields:
        cleaned["name"] = _text("name", fields.get("name"), required=True)
    if "remark" in fields:
        cleaned["remark"] = _text("remark", fields.get("remark"), required=False)
    if "scope_subject" in fields:
        subject = fields["scope_subject"]
        if isinstance(subject, bool) or subject not in (ManagerGroup.SCOPE_OWN_GROUPS, ManagerGroup.SCOPE_LISTED):
            raise ValidationError({"scope_subject": [_("Must be 1 (own groups) or 2 (listed users and groups).")]})
        cleaned["scope_subject"] = subject
    perms = fields.get("perms")
    if perms is not None:
        bad = sorted(p.uid for p in perms if p.uid not in BASE_SYSTEM_PERMS)
        if bad:
            allowed = ", ".join(BASE_SYSTEM_PERMS)
            raise ValidationError(
                {
                    "perms": [
                        _("Only base system permissions (%(allowed)s): %(bad)s.")
                        % {"allowed": allowed, "bad": ", ".join(bad)}
                    ]
                }
            )
    return cleaned


def _snapshot(group: ManagerGroup) -> dict:
    return {
        "name": group.name,
        "remark": group.remark,
        "scope_subject": group.scope_subject,
        "member_users": sorted(group.member_users.values_list("username", flat=True)),
        "member_groups": sorted(group.member_groups.values_list("uid", flat=True)),
        "scope_users": sorted(group.scope_users.values_list("username", flat=True)),
        "scope_groups": sorted(group.scope_groups.values_list("uid", flat=True)),
        "apps": sorted(group.apps.values_list("uid", flat=True)),
        "perms": sorted(group.perms.values_list("uid", flat=True)),
    }


def _set_relations(group: ManagerGroup, fields: dict) -> None:
    for relation in RELATIONS:
        if fields.get(relation) is not None:
            getattr(group, relation).set(list(dict.fromkeys(fields[relation])))


def _free_uid(base: str) -> str:
    base = slugify(base)[:100].strip("-") or "manager"
    if not ManagerGroup.objects.filter(uid=base).exists():
        return base
    return f"{base}-{pysecrets.token_hex(3)}"


@transaction.atomic
def create_manager_group(*, actor, uid: str | None = None, **fields) -> ManagerGroup:
    """``fields``: name, remark, scope_subject and the relations (sequences of instances)."""
    cleaned = _clean(fields, creating=True)
    if uid is not None:
        uid = str(uid).strip()
        if not uid or slugify(uid) != uid or len(uid) > 128:
            raise ValidationError({"uid": [_("Use 1-128 letters, digits, '-' and '_'.")]})
    try:
        with transaction.atomic():
            group = ManagerGroup.objects.create(uid=uid or _free_uid(cleaned["name"]), created_by=actor, **cleaned)
    except IntegrityError:
        raise Conflict(_("A sub-administrator group with this uid exists."), field="uid") from None
    _set_relations(group, fields)
    bump_scope_version()
    record_event(Action.MANAGER_GROUP_CREATED, actor=actor, target=group, changes=diff({}, _snapshot(group)))
    return group


@transaction.atomic
def update_manager_group(group: ManagerGroup, fields: dict, *, actor) -> ManagerGroup:
    group = ManagerGroup.objects.select_for_update().get(pk=group.pk)
    cleaned = _clean(fields, creating=False)
    before = _snapshot(group)
    for field, value in cleaned.items():
        setattr(group, field, value)
    group.save()
    _set_relations(group, fields)
    bump_scope_version()
    changes = diff(before, _snapshot(group))
    if changes:
        record_event(Action.MANAGER_GROUP_UPDATED, actor=actor, target=group, changes=changes)
    return group


@transaction.atomic
def delete_manager_group(group: ManagerGroup, *, actor) -> None:
    before = _snapshot(group)
    record_event(Action.MANAGER_GROUP_DELETED, actor=actor, target=group, changes=diff(before, {}))
    group.delete()
    bump_scope_version()


def create_for_new_group(group: Group, *, actor) -> ManagerGroup:
    """A sub-administrator created ``group`` (a category's root): a manager group with them as
    its only member and the group (with its descendants) as its listed scope."""
    return create_manager_group(
        actor=actor,
        name=_("Managers of %(name)s") % {"name": group.name},
        scope_subject=ManagerGroup.SCOPE_LISTED,
        member_users=[actor],
        scope_groups=[group],
    )


def create_for_new_app(app: App, *, actor) -> ManagerGroup:
    """A sub-administrator created ``app``: a manager group with them as its only member,
    managing only that app (listed scope, nothing listed), so they can manage what they made."""
    return create_manager_group(
        actor=actor,
        name=_("Managers of app %(name)s") % {"name": app.name},
        scope_subject=ManagerGroup.SCOPE_LISTED,
        member_users=[actor],
        apps=[app],
    )
