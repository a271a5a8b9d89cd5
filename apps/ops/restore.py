"""Restore a directory exported by apps.ops.backup into an empty installation.

Restore, not merge: the target must hold no users, apps or groups of its own (only what
the migrations seed), so nothing existing is silently overwritten or half-merged. The whole
restore is one transaction: a bad row anywhere leaves the database untouched.

Writes go through the owning apps' actions (group types, groups and their visibility lists,
custom fields and values, users, external accounts, memberships, apps, permissions,
statuses), so each object gets its usual audit event; what only a restore sets
(the password hash, the original UUID, the administrator flag) is written on the rows those
actions created, inside the same transaction, and the closing ``ops.directory_imported``
event records it. Problems in the file are reported as :class:`RestoreError` naming the
entry (``users[12].email: ...``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.core.exceptions import DomainError
from apps.directory.actions import custom_fields as custom_field_actions
from apps.directory.actions import external_identities as identity_actions
from apps.directory.actions import group_types as group_type_actions
from apps.directory.actions import groups as group_actions
from apps.directory.actions import memberships as membership_actions
from apps.directory.actions import users as user_actions
from apps.directory.models import CustomField, Group, GroupType, Organization, Origin, User
from apps.directory.user_validation import CREATE_FIELDS, clean_user_fields
from apps.ops.backup import FORMAT, ORGANIZATION_FIELDS, VERSION
from apps.permissions.actions import apps as app_actions
from apps.permissions.actions import perms as perm_actions
from apps.permissions.actions import statuses as status_actions
from apps.permissions.models import App, AppProtocol, Permission

SECTIONS = ("group_types", "groups", "users", "memberships", "apps", "permissions", "statuses")


class RestoreError(Exception):
    """The file cannot be restored; the message says where and why."""


def _fail(where: str, exc: Exception | str) -> RestoreError:
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return RestoreError(f"{where}: {detail}")
    return RestoreError(f"{where}: {exc}")


def _require(row, where: str, *keys: str) -> None:
    if not isinstance(row, dict):
        raise RestoreError(f"{where}: must be an object")
    missing = [key for key in keys if key not in row]
    if missing:
        raise RestoreError(f"{where}: missing {', '.join(missing)}")


def check_document(document) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RestoreError(f"not an ArkID directory export (expected format {FORMAT!r})")
    if document.get("version") != VERSION:
        raise RestoreError(f"unsupported export version {document.get('version')!r} (this ArkID reads {VERSION})")
    for section in SECTIONS:
        if not isinstance(document.get(section), list):
            raise RestoreError(f"{section}: missing or not a list")


def check_target_empty() -> None:
    leftovers = {
        "users": User.objects.exists(),
        "apps": App.objects.exists(),
        "groups": Group.objects.filter(parent__isnull=False).exists(),
        "group types": GroupType.objects.filter(is_builtin=False).exists(),
        "custom fields": CustomField.objects.exists(),
    }
    present = [name for name, found in leftovers.items() if found]
    if present:
        raise RestoreError(
            f"the target directory is not empty ({', '.join(present)}); restore into a freshly migrated database"
        )


def _restore_group_types(rows: list, actor) -> None:
    existing = set(GroupType.objects.values_list("key", flat=True))
    for i, row in enumerate(rows):
        _require(row, f"group_types[{i}]", "key", "name")
        if row["key"] in existing:
            continue  # a built-in type, seeded by the migrations
        try:
            group_type_actions.create_group_type(actor=actor, name=row["name"], key=row["key"])
        except (ValidationError, DomainError) as exc:
            raise _fail(f"group_types[{i}]", exc) from None


def _restore_groups(rows: list, actor) -> dict[str, Group]:
    by_uid = {g.uid: g for g in Group.objects.filter(parent__isnull=True).select_related("type")}
    for i, row in enumerate(rows):
        where = f"groups[{i}]"
        _require(row, where, "uid", "name", "parent")
        parent = by_uid.get(row["parent"])
        if parent is None:
            raise RestoreError(f"{where}: parent {row['parent']!r} is not defined before it")
        if not isinstance(row.get("order", 0), int) or isinstance(row.get("order"), bool):
            raise RestoreError(f"{where}: order must be an integer")
        try:
            by_uid[row["uid"]] = group_actions.create_group(
                actor=actor,
                parent=parent,
                name=row["name"],
                uid=row["uid"],
                remark=row.get("remark", ""),
                visibility=row.get("visibility", 1),
                order=row.get("order"),
            )
        except (ValidationError, DomainError) as exc:
            raise _fail(where, exc) from None
    return by_uid


def _clean_user(row, where: str) -> tuple[dict, dict]:
    """(fields for the create action, restore-only fields)."""
    _require(row, where, "username")
    fields = {key: row[key] for key in CREATE_FIELDS if key in row and row[key] is not None}
    try:
        cleaned = clean_user_fields(fields, allowed=CREATE_FIELDS)
    except ValidationError as exc:
        raise _fail(where, exc) from None
    extra = {"is_admin": row.get("is_admin", False), "password": row.get("password") or "!"}
    if not isinstance(extra["is_admin"], bool) or not isinstance(extra["password"], str):
        raise RestoreError(f"{where}: is_admin must be a boolean and password a string")
    try:
        extra["uuid"] = uuid.UUID(str(row["uuid"])) if row.get("uuid") else uuid.uuid4()
        extra["origin"] = Origin(row.get("origin", Origin.IMPORT))
    except ValueError as exc:
        raise _fail(where, exc) from None
    return cleaned, extra


def _restore_users(rows: list, actor) -> dict[str, User]:
    prepared = [_clean_user(row, f"users[{i}]") for i, row in enumerate(rows)]
    _check_unique(prepared)
    by_origin: dict[int, list] = defaultdict(list)
    for cleaned, extra in prepared:
        by_origin[extra["origin"]].append((cleaned, extra))
    users: dict[str, User] = {}
    for origin, items in by_origin.items():
        rows_with_ids = [{**cleaned, "uuid": extra["uuid"], "is_admin": extra["is_admin"]} for cleaned, extra in items]
        created = user_actions.create_prechecked_users(rows_with_ids, actor=actor, origin=origin)
        for user, (_cleaned, extra) in zip(created, items, strict=True):
            user.password = extra["password"]
            users[user.username] = user
    User.objects.bulk_update(list(users.values()), ["password"], batch_size=1000)
    return users


def _check_unique(prepared: list[tuple[dict, dict]]) -> None:
    """Usernames, emails, mobiles and UUIDs are unique. The target is empty, so the file is
    checked against itself, on the normalised values (two spellings of one mobile clash)."""
    for field in ("username", "email", "private_email", "mobile", "uuid"):
        seen: dict[str, int] = {}
        for i, (cleaned, extra) in enumerate(prepared):
            value = str(cleaned.get(field) or extra.get(field) or "").lower()
            if value and value in seen:
                raise RestoreError(f"users[{i}].{field}: {value!r} is also users[{seen[value]}]'s")
            seen[value] = i


def _restore_custom_fields(rows: list, actor) -> None:
    for i, row in enumerate(rows):
        _require(row, f"custom_fields[{i}]", "name")
        fields = {key: row[key] for key in ("name", "field_type", "is_visible", "order") if key in row}
        try:
            custom_field_actions.create_custom_field(
                actor=actor, subject=row.get("subject", CustomField.Subject.USER), **fields
            )
        except (ValidationError, DomainError) as exc:
            raise _fail(f"custom_fields[{i}]", exc) from None


def _restore_user_extras(rows: list, users: dict[str, User], actor) -> None:
    """Custom values and linked external accounts, through their actions (one per user that has any)."""
    for i, row in enumerate(rows):
        if not row.get("custom") and not row.get("external_identities"):
            continue
        user = users[clean_user_fields({"username": row["username"]}, allowed=["username"])["username"]]
        try:
            if row.get("custom"):
                user_actions.set_user_custom_values(user, row["custom"], actor=actor)
            for identity in row.get("external_identities") or []:
                _require(identity, f"users[{i}].external_identities", "provider", "external_id")
                identity_actions.link_external_identity(
                    user,
                    provider=identity["provider"],
                    external_id=identity["external_id"],
                    data=identity.get("data") or {},
                    actor=actor,
                )
        except (ValidationError, DomainError) as exc:
            raise _fail(f"users[{i}]", exc) from None


def _restore_visibility(rows: list, groups: dict[str, Group], actor) -> None:
    """Visibility lists name users and other groups, so they come after both."""
    for i, row in enumerate(rows):
        scopes = {key: row[key] for key in ("node_scope", "user_scope") if row.get(key)}
        if scopes:
            try:
                group_actions.update_group(groups[row["uid"]], scopes, actor=actor)
            except (ValidationError, DomainError) as exc:
                raise _fail(f"groups[{i}]", exc) from None


def _restore_organization(data, actor) -> None:
    if not data:
        return
    if not isinstance(data, dict) or set(data) - set(ORGANIZATION_FIELDS):
        raise RestoreError(f"organization: an object with only {', '.join(ORGANIZATION_FIELDS)}")
    org = Organization.current()
    before = {field: getattr(org, field) for field in ORGANIZATION_FIELDS}
    for field, value in data.items():
        setattr(org, field, "" if value is None else str(value))
    try:
        org.full_clean()
    except ValidationError as exc:
        raise _fail("organization", exc) from None
    org.save()
    record_event(
        Action.ORGANIZATION_UPDATED,
        actor=actor,
        actor_name="" if actor else "system",
        target=org,
        changes=diff(before, {field: getattr(org, field) for field in ORGANIZATION_FIELDS}),
    )


def _restore_memberships(rows: list, groups: dict[str, Group], users: dict[str, User], actor) -> int:
    count = 0
    for i, row in enumerate(rows):
        _require(row, f"memberships[{i}]", "group", "users")
        group = groups.get(row["group"])
        unknown = [u for u in row["users"] if u not in users]
        if group is None or unknown:
            raise RestoreError(f"memberships[{i}]: unknown group {row['group']!r} or users {unknown[:5]}")
        count += len(membership_actions.add_members(group, [users[u] for u in row["users"]], actor=actor))
    return count


def _restore_apps(rows: list, actor) -> dict[str, App]:
    apps = {}
    for i, row in enumerate(rows):
        where = f"apps[{i}]"
        _require(row, where, "uid", "name")
        fields = {key: row[key] for key in ("logo", "index", "remark", "allow_any_user") if key in row}
        try:
            app, _secrets = app_actions.create_app(actor=actor, name=row["name"], uid=row["uid"], **fields)
        except (ValidationError, DomainError) as exc:
            raise _fail(where, exc) from None
        for protocol in row.get("protocols", []):
            _require(protocol, f"{where}.protocols", "name", "config")
            if protocol["name"] not in AppProtocol.Name.values or not isinstance(protocol["config"], dict):
                raise RestoreError(f"{where}.protocols: unknown protocol {protocol['name']!r} or config not an object")
            AppProtocol.objects.create(app=app, name=protocol["name"], config=protocol["config"])
        apps[app.uid] = app
    return apps


def _restore_permissions(rows: list, apps: dict[str, App], actor) -> None:
    for i, row in enumerate(rows):
        where = f"permissions[{i}]"
        _require(row, where, "app", "name", "action")
        if row["app"] not in apps:
            raise RestoreError(f"{where}: unknown app {row['app']!r}")
        try:
            perm_actions.create_permission(actor=actor, app=apps[row["app"]], name=row["name"], action=row["action"])
        except (ValidationError, DomainError) as exc:
            raise _fail(where, exc) from None


def _restore_statuses(rows: list, groups: dict[str, Group], users: dict[str, User], actor) -> None:
    perms = {p.uid: p for p in Permission.objects.all()}
    per_perm: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for i, row in enumerate(rows):
        where = f"statuses[{i}]"
        _require(row, where, "perm", "status")
        if row["perm"] not in perms:
            raise RestoreError(f"{where}: unknown permission {row['perm']!r}")
        if row.get("user") in users:
            per_perm[row["perm"]][0].append((users[row["user"]], row["status"]))
        elif row.get("group") in groups:
            per_perm[row["perm"]][1].append((groups[row["group"]], row["status"]))
        else:
            raise RestoreError(f"{where}: unknown owner {row.get('user') or row.get('group')!r}")
    for perm_uid, (user_statuses, group_statuses) in per_perm.items():
        try:
            status_actions.set_statuses(
                perms[perm_uid], actor=actor, user_statuses=user_statuses, group_statuses=group_statuses
            )
        except (ValidationError, DomainError) as exc:
            raise _fail(f"statuses of {perm_uid}", exc) from None


def restore_directory(document, *, actor=None) -> dict[str, int]:
    """Restore ``document`` (a parsed export) into this empty installation; returns counts."""
    try:
        return _restore(document, actor)
    except IntegrityError as exc:  # a clash the checks above did not foresee: still all or nothing
        raise RestoreError(f"conflicting entries ({exc.__cause__ or exc})") from None


@transaction.atomic
def _restore(document, actor) -> dict[str, int]:
    check_document(document)
    check_target_empty()
    _restore_group_types(document["group_types"], actor)
    groups = _restore_groups(document["groups"], actor)
    _restore_custom_fields(document.get("custom_fields") or [], actor)
    users = _restore_users(document["users"], actor)
    _restore_user_extras(document["users"], users, actor)
    _restore_visibility(document["groups"], groups, actor)
    _restore_organization(document.get("organization"), actor)
    members = _restore_memberships(document["memberships"], groups, users, actor)
    apps = _restore_apps(document["apps"], actor)
    _restore_permissions(document["permissions"], apps, actor)
    _restore_statuses(document["statuses"], groups, users, actor)
    counts = {section: len(document[section]) for section in SECTIONS} | {"members": members}
    record_event(
        Action.DIRECTORY_IMPORTED,
        actor=actor,
        actor_name="" if actor else "system",
        detail={**counts, "restored": ["password hashes", "uuids", "administrator flags"]},
    )
    return counts
