"""Creating, changing and deleting users. Every write is one transaction and one audit trail.

Uniqueness is checked twice on purpose: first with a query, for a friendly message listing
every taken field; then by the database constraints, whose IntegrityError (a concurrent
create won the race) is turned into the same field error instead of a 500.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actions import build_event, diff, record_event, record_events
from apps.audit.models import Action
from apps.core.exceptions import DomainError
from apps.directory import signals
from apps.directory.actions import memberships
from apps.directory.actions.custom_fields import coerce_custom_value, find_custom_field, render_custom_value
from apps.directory.bulk_update import update_rows
from apps.directory.models import CustomFieldValue, Group, GroupType, Membership, Origin, User
from apps.directory.user_validation import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    clean_user_fields,
    find_taken_fields,
    integrity_error_fields,
)

SNAPSHOT_FIELDS = ("username", *EDITABLE_FIELDS, "origin", "is_admin")
# What the audit trail records instead of a password (masked again on write).
PASSWORD_MARK = "(set)"  # noqa: S105 - a marker, not a password


def snapshot(user: User, fields: Iterable[str] = SNAPSHOT_FIELDS) -> dict:
    return {field: getattr(user, field) for field in fields}


def _validate_password(raw_password, user: User) -> None:
    if not isinstance(raw_password, str) or not raw_password:
        raise ValidationError({"password": [_("Enter a password.")]})
    try:
        password_validation.validate_password(raw_password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _save_unique(user: User, values: dict, *, update_fields: list[str] | None = None) -> None:
    """Save inside a savepoint so a unique violation leaves the outer transaction usable."""
    try:
        with transaction.atomic():
            user.save(update_fields=update_fields)
    except IntegrityError as exc:
        exclude = user.pk if update_fields is not None else None
        if update_fields is None:
            user.pk = None  # the INSERT did not happen
        raise ValidationError(integrity_error_fields(exc, values, exclude_pk=exclude)) from None


@transaction.atomic
def create_user(
    *,
    actor,
    origin=Origin.ADMIN,
    password: str | None = None,
    groups: Sequence[Group] = (),
    custom_values: dict | None = None,
    **fields,
) -> User:
    if "username" not in fields:
        raise ValidationError({"username": [_("This field is required.")]})
    cleaned = clean_user_fields(fields, allowed=CREATE_FIELDS)
    taken = find_taken_fields(cleaned)
    if taken:
        raise ValidationError(taken)
    user = User(origin=origin, **cleaned)
    if password is None:
        user.set_unusable_password()
    else:
        _validate_password(password, user)
        user.set_password(password)
    _save_unique(user, cleaned)
    _audit_created(user, actor=actor, password_set=password is not None)
    for group in dict.fromkeys(groups):
        memberships.add_members(group, [user], actor=actor)
    if custom_values:
        set_user_custom_values(user, custom_values, actor=actor)
    return user


def _audit_created(user: User, *, actor, password_set: bool) -> None:
    changes = diff({}, snapshot(user))
    if password_set:
        changes["password"] = [None, PASSWORD_MARK]
    record_event(Action.USER_CREATED, actor=actor, target=user, changes=changes)


def _audit_updated(user: User, before: dict, *, actor) -> None:
    record_event(Action.USER_UPDATED, actor=actor, target=user, changes=diff(before, snapshot(user, before)))


# --- bulk writers ---------------------------------------------------------------------
# The CSV import cleans every row with clean_user_fields and checks uniqueness for the
# whole file in a few queries; these write in batches (one INSERT or UPDATE per batch of
# users, one INSERT per batch of their audit events) with no per-user check or savepoint.
# A duplicate that a concurrent request slipped in raises IntegrityError, which aborts the
# caller's whole transaction: all or nothing, as the import promises.

BULK_BATCH = 1000


def _batches(items: Sequence):
    size = BULK_BATCH  # read at call time, so tests can make batches small
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unusable_password() -> str:
    # What set_unusable_password() stores ("!" + random), without its 40 secrets.choice()
    # calls per user, which dominate a 100k-row import.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


@transaction.atomic(savepoint=False)
def create_prechecked_users(rows: Sequence[dict], *, actor, origin=Origin.IMPORT) -> list[User]:
    """``rows``: outputs of ``clean_user_fields`` (with username), already checked unique.
    Each user gets its own ``user.created`` event, as with :func:`create_user`."""
    users = [User(origin=origin, password=_unusable_password(), **fields) for fields in rows]
    for batch in _batches(users):
        User.objects.bulk_create(batch)  # sets the pks (PostgreSQL, SQLite >= 3.35)
        record_events([_created_event(user, actor=actor) for user in batch])
    return users


def create_prechecked_user(fields: dict, *, actor, origin=Origin.IMPORT) -> User:
    """One user; see :func:`create_prechecked_users`."""
    return create_prechecked_users([fields], actor=actor, origin=origin)[0]


def _created_event(user: User, *, actor):
    return build_event(Action.USER_CREATED, actor=actor, target=user, changes=diff({}, snapshot(user)))


@transaction.atomic(savepoint=False)
def update_prechecked_users(changes: Sequence[tuple[User, dict]], *, actor) -> list[User]:
    """``changes``: (user, cleaned editable fields without username or is_active), already
    checked unique. Returns the users that changed; each gets a ``user.updated`` event with
    only its changed fields. post_save is still sent per changed user, as save() would, so
    receivers (token cache invalidation) keep working."""
    changed_users: list[tuple[User, list[str]]] = []
    events, columns = [], set()
    now = timezone.now()
    for user, fields in changes:
        changed = {field: value for field, value in fields.items() if getattr(user, field) != value}
        if not changed:
            continue
        if {"username", "is_active"} & set(changed):
            raise ValueError("update_prechecked_users cannot change the username or is_active")
        before = snapshot(user, changed)
        for field, value in changed.items():
            setattr(user, field, value)
        user.updated = now  # update_rows does not apply auto_now
        columns.update(changed)
        changed_users.append((user, [*changed, "updated"]))
        events.append(build_event(Action.USER_UPDATED, actor=actor, target=user, changes=diff(before, changed)))
    if not changed_users:
        return []
    # Unchanged columns of a user are rewritten with the value it already has.
    update_rows(User, [u for u, _f in changed_users], [*sorted(columns), "updated"])
    for batch in _batches(events):
        record_events(batch)
    for user, update_fields in changed_users:
        post_save.send(
            sender=User,
            instance=user,
            created=False,
            update_fields=frozenset(update_fields),
            raw=False,
            using=User.objects.db,
        )
    return [u for u, _f in changed_users]


def update_prechecked_user(user: User, fields: dict, *, actor) -> bool:
    """One user; see :func:`update_prechecked_users`. Returns whether anything changed."""
    return bool(update_prechecked_users([(user, fields)], actor=actor))


def _guard_last_admins(users: Sequence[User], *, verb: str) -> None:
    """Refuse to remove every active administrator; locks the admin rows so two concurrent
    removals cannot both pass the check."""
    leaving = {u.pk for u in users if u.is_admin and u.is_active}
    if not leaving:
        return
    admins = User.objects.select_for_update().filter(is_admin=True, is_active=True).values_list("pk", flat=True)
    if not set(admins) - leaving:
        raise DomainError(_("Cannot %(verb)s the last active administrator.") % {"verb": verb}, code="last_admin")


@transaction.atomic
def update_user(
    user: User, fields: dict, *, actor, custom_values: dict | None = None, visible_only: bool = False
) -> User:
    """Change ``fields`` (and custom values); audits only what really changed. ``visible_only``
    limits custom values to the fields employees see (the profile page)."""
    fields = dict(fields)
    if "password" in fields:
        raise ValidationError({"password": [_("Use the password endpoint to change a password.")]})
    if "username" in fields:
        username = str(fields.pop("username") or "").strip().lower()
        if username != user.username:
            raise ValidationError({"username": [_("The username cannot be changed.")]})
    cleaned = clean_user_fields(fields, allowed=EDITABLE_FIELDS)
    changed = {field: value for field, value in cleaned.items() if getattr(user, field) != value}
    if changed.get("is_active") is False:
        if actor is not None and actor.pk == user.pk:
            raise DomainError(_("You cannot deactivate yourself."), field="is_active", code="self")
        _guard_last_admins([user], verb=_("deactivate"))
    if changed:
        taken = find_taken_fields(changed, exclude_pk=user.pk)
        if taken:
            raise ValidationError(taken)
        before = snapshot(user, changed)
        for field, value in changed.items():
            setattr(user, field, value)
        _save_unique(user, changed, update_fields=[*changed, "updated"])
        _audit_updated(user, before, actor=actor)
    if custom_values:
        set_user_custom_values(user, custom_values, actor=actor, visible_only=visible_only)
    return user


@transaction.atomic
def set_password(user: User, raw_password: str, *, actor, must_reset: bool = False) -> None:
    _validate_password(raw_password, user)
    user.set_password(raw_password)
    user.must_reset_password = bool(must_reset)
    user.save(update_fields=["password", "must_reset_password", "updated"])
    by_self = actor is not None and actor.pk == user.pk
    record_event(
        Action.PASSWORD_CHANGED if by_self else Action.USER_PASSWORD_SET,
        actor=actor,
        target=user,
        changes={"password": [None, PASSWORD_MARK]},
        detail={"must_reset_password": user.must_reset_password},
    )
    transaction.on_commit(lambda: signals.password_changed.send(sender=User, user=user))


def _user_snapshot_for_delete(user: User) -> dict:
    data = snapshot(user)
    data["nodes"] = [
        m.group.node_uid for m in Membership.objects.filter(user=user).select_related("group__type").order_by("id")
    ]
    return data


def _check_deletable(users: Sequence[User], *, actor) -> None:
    if actor is not None and any(u.pk == actor.pk for u in users):
        raise DomainError(_("You cannot delete yourself."), code="self")
    _guard_last_admins(users, verb=_("delete"))


def _delete(user: User, *, actor) -> None:
    data = _user_snapshot_for_delete(user)
    user_id, username = user.pk, user.username
    record_event(Action.USER_DELETED, actor=actor, target=user, changes=diff(data, {}), detail={"uuid": str(user.uuid)})
    user.delete()
    transaction.on_commit(lambda: signals.user_deleted.send(sender=User, user_id=user_id, username=username))


@transaction.atomic
def delete_user(user: User, *, actor) -> None:
    """Hard delete (memberships, custom values and tokens cascade); the audit event keeps a snapshot."""
    _check_deletable([user], actor=actor)
    _delete(user, actor=actor)


@transaction.atomic
def bulk_delete_users(users: Sequence[User], *, actor) -> int:
    """Delete all of ``users`` or none: every refusal is checked before the first delete."""
    users = list({u.pk: u for u in users}.values())
    _check_deletable(users, actor=actor)
    for user in users:
        _delete(user, actor=actor)
    return len(users)


MAX_CUSTOM_VALUES = 200


@transaction.atomic
def set_user_custom_values(user: User, values: dict, *, actor, visible_only: bool = False) -> dict:
    """Set custom field values by field uuid (hex or dashed) or name; empty values remove.
    ``visible_only`` restricts to fields employees may see (the profile page)."""
    if not isinstance(values, dict):
        raise ValidationError({"custom_user": [_("Must be an object of field uuid to value.")]})
    if len(values) > MAX_CUSTOM_VALUES:  # each key costs a lookup; the profile is open to every user
        raise ValidationError({"custom_user": [_("Too many fields.")]})
    resolved, errors = {}, {}
    for key, value in values.items():
        field = find_custom_field(key)
        if field is None or (visible_only and not field.is_visible):
            errors[str(key)] = [_("Unknown custom field.")]
            continue
        try:
            resolved[field] = coerce_custom_value(field, value)
        except ValidationError as exc:
            errors[str(key)] = exc.messages
    if errors:
        raise ValidationError({"custom_user": [f"{key}: {' '.join(msgs)}" for key, msgs in errors.items()]})
    current = {row.field_id: row for row in CustomFieldValue.objects.filter(user=user, field__in=list(resolved))}
    before, after = {}, {}
    for field, value in resolved.items():
        row = current.get(field.pk)
        old = row.value if row else None
        if old == value:
            continue
        label = f"custom:{field.name}"
        before[label] = render_custom_value(field, old) if old is not None else None
        after[label] = render_custom_value(field, value) if value is not None else None
        if value is None:
            row.delete()
        elif row is None:
            # update_or_create: a concurrent first write of the same field must not end in an
            # IntegrityError (the unique (user, field) constraint); the later write wins.
            CustomFieldValue.objects.update_or_create(user=user, field=field, defaults={"value": value})
        else:
            row.value = value
            row.save(update_fields=["value"])
    if after:
        record_event(Action.USER_UPDATED, actor=actor, target=user, changes=diff(before, after))
    return after


@transaction.atomic
def change_user_nodes(user: User, groups: Sequence[Group], subject: str, *, actor, kind: str = "node") -> None:
    """v1's ``user/<username>/{node,dept,group}/`` PATCH: ``add``, ``delete`` or ``override``.
    ``override`` replaces only the memberships of the same kind (departments for ``dept``,
    other groups for ``group``, everything for ``node``)."""
    if subject == "add":
        for group in groups:
            memberships.add_members(group, [user], actor=actor)
    elif subject == "delete":
        for group in groups:
            memberships.remove_members(group, [user], actor=actor)
    elif subject == "override":
        current = Membership.objects.filter(user=user).select_related("group__type")
        if kind == "dept":
            current = current.filter(group__type__key=GroupType.DEPARTMENT)
        elif kind == "group":
            current = current.exclude(group__type__key=GroupType.DEPARTMENT)
        wanted = {g.pk for g in groups}
        for membership in current:
            if membership.group_id not in wanted:
                memberships.remove_members(membership.group, [user], actor=actor)
        for group in groups:
            memberships.add_members(group, [user], actor=actor)
    else:
        raise ValidationError({"subject": [_("Must be one of: add, delete, override.")]})
