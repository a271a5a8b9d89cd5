"""The directory as one JSON document (``manage.py arkid_export``), read back by apps.ops.restore.

Everything is referenced by its stable key (username, group uid, group type key, app uid,
permission uid), never by a database id, so a backup restores into a fresh installation
on another database. Rows come out in a deterministic order (groups parents first) so two
exports of the same data are identical and diffable.

Users carry their custom field values (stored canonical text, keyed by field name) and
linked external accounts (DingTalk), groups their visibility lists.

The document holds password hashes: it is as sensitive as the database itself. Protocol
secrets (OAuth client secrets, LDAP bind passwords) live in the protocol apps' own tables
and are not part of it; they are reissued after a restore (docs/operations.md).
"""

from __future__ import annotations

from django.utils import timezone

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.directory.models import (
    CustomField,
    CustomFieldValue,
    ExternalIdentity,
    Group,
    GroupType,
    Membership,
    Organization,
    User,
)
from apps.permissions.models import App, AppProtocol, Permission, PermissionStatus

FORMAT = "arkid-directory"
VERSION = 1
USER_FIELDS = (
    "username", "name", "email", "private_email", "mobile", "gender", "avatar", "position", "employee_number",
    "remark", "is_active", "is_admin", "must_reset_password", "origin",
)  # fmt: skip
GROUP_FIELDS = ("uid", "name", "order", "remark", "visibility")
APP_FIELDS = ("uid", "name", "logo", "index", "remark", "allow_any_user")
CUSTOM_FIELD_FIELDS = ("name", "subject", "field_type", "is_visible", "order")
ORGANIZATION_FIELDS = ("name", "fullname", "name_en", "fullname_en", "icon", "color", "address", "domain")


def _users() -> list[dict]:
    custom: dict[int, dict] = {}
    values = CustomFieldValue.objects.order_by("field__order", "field_id").values_list(
        "user_id", "field__name", "value"
    )
    for user_id, name, value in values.iterator(chunk_size=5000):
        custom.setdefault(user_id, {})[name] = value  # the stored canonical text
    identities: dict[int, list] = {}
    for identity in ExternalIdentity.objects.order_by("provider", "id"):
        identities.setdefault(identity.user_id, []).append(
            {"provider": identity.provider, "external_id": identity.external_id, "data": identity.data}
        )
    rows = []
    for user in User.objects.order_by("id").iterator(chunk_size=5000):
        row = {field: getattr(user, field) for field in USER_FIELDS}
        row["uuid"] = str(user.uuid)
        row["hire_date"] = user.hire_date.isoformat() if user.hire_date else None
        row["password"] = user.password  # the hash (or an unusable marker), never a plain password
        row["custom"] = custom.get(user.pk, {})
        row["external_identities"] = identities.get(user.pk, [])
        rows.append(row)
    return rows


def _groups() -> list[dict]:
    rows = []
    groups = (
        Group.objects.filter(parent__isnull=False)
        .select_related("type", "parent")
        .prefetch_related("visible_groups__type", "visible_users")
        .order_by("depth", "order", "id")
    )
    for group in groups:
        row = {field: getattr(group, field) for field in GROUP_FIELDS}
        row.update(type=group.type.key, parent=group.parent.uid)
        row["node_scope"] = sorted(g.node_uid for g in group.visible_groups.all())
        row["user_scope"] = sorted(u.username for u in group.visible_users.all())
        rows.append(row)
    return rows


def _memberships() -> list[dict]:
    by_group: dict[str, list[str]] = {}
    rows = Membership.objects.order_by("group__uid", "order", "id").values_list("group__uid", "user__username")
    for group_uid, username in rows.iterator(chunk_size=5000):
        by_group.setdefault(group_uid, []).append(username)
    return [{"group": uid, "users": users} for uid, users in by_group.items()]


def _apps() -> list[dict]:
    protocols: dict[int, list[dict]] = {}
    for protocol in AppProtocol.objects.order_by("app_id", "name"):
        protocols.setdefault(protocol.app_id, []).append({"name": protocol.name, "config": protocol.config})
    return [
        {**{field: getattr(app, field) for field in APP_FIELDS}, "protocols": protocols.get(app.pk, [])}
        for app in App.objects.order_by("uid")
    ]


def _statuses() -> list[dict]:
    rows = []
    queryset = PermissionStatus.objects.order_by("perm__uid", "id").values_list(
        "perm__uid", "user__username", "group__uid", "status"
    )
    for perm_uid, username, group_uid, status in queryset.iterator(chunk_size=5000):
        owner = {"user": username} if username is not None else {"group": group_uid}
        rows.append({"perm": perm_uid, **owner, "status": status})
    return rows


def _organization() -> dict | None:
    org = Organization.objects.filter(pk=1).first()
    return {field: getattr(org, field) for field in ORGANIZATION_FIELDS} if org else None


def export_directory(*, actor=None) -> dict:
    """The whole directory as a JSON-ready dict; records one ``ops.directory_exported`` event."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "group_types": [
            {"key": t.key, "name": t.name, "order": t.order, "is_builtin": t.is_builtin}
            for t in GroupType.objects.order_by("order", "id")
        ],
        "groups": _groups(),
        "custom_fields": [
            {field: getattr(f, field) for field in CUSTOM_FIELD_FIELDS}
            for f in CustomField.objects.order_by("order", "id")
        ],
        "users": _users(),
        "memberships": _memberships(),
        "apps": _apps(),
        "permissions": [
            {
                "uid": p.uid,
                "app": p.app.uid if p.app_id else None,
                "name": p.name,
                "action": p.action,
                "remark": p.remark,
            }
            for p in Permission.objects.filter(kind=Permission.Kind.CUSTOM).select_related("app").order_by("uid")
        ],
        "statuses": _statuses(),
        "organization": _organization(),
    }
    counts = {key: len(value) for key, value in document.items() if isinstance(value, list)}
    record_event(Action.DIRECTORY_EXPORTED, actor=actor, actor_name="" if actor else "system", detail=counts)
    return document
