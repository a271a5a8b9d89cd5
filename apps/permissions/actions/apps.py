"""Creating, changing and deleting apps (ArkID v1's ``APP``) with their access permission and protocols.

Every app has exactly one access permission, ``app_<uid>_access``, created with it and deleted
with it; the uid is therefore fixed once the app exists (v1's perm uids embed it). Protocols are
the v1 sub-objects (``ldap_app``, ``http_app``, ...) handled by :mod:`apps.permissions.protocols`:
a dict configures (or reconfigures) a protocol, ``None`` removes it, an absent key leaves it alone.
"""

from __future__ import annotations

import re
import secrets as pysecrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict
from apps.directory.scope import bump_scope_version, resolve_scope
from apps.permissions import cache
from apps.permissions import protocols as registry
from apps.permissions.models import App, AppProtocol, Permission

# The uid becomes the scope of v1 perm uids (<subject>_<scope>_<action>), so no "_".
UID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
UID_MAX = App._meta.get_field("uid").max_length
TEXT_FIELDS = {"name": 255, "logo": 512, "index": 1024, "remark": 10000}
UPDATABLE = ("name", "logo", "index", "remark", "allow_any_user")


def clean_uid(uid) -> str:
    text = uid.strip().lower() if isinstance(uid, str) else ""
    if not text or len(text) > UID_MAX or not UID_RE.match(text):
        raise ValidationError(
            {
                "uid": [
                    _("Use 1-%(n)d lower-case letters, digits and '-', starting with a letter or digit.")
                    % {"n": UID_MAX}
                ]
            }
        )
    return text


def generate_uid(name: str) -> str:
    """v1 made the uid from the name's pinyin; without pinyin, an ASCII slug of the name
    ("your_app_name" -> "yourappname"), or "app" + random hex for a name with no ASCII letters."""
    base = slugify(name).replace("_", "")[: UID_MAX - 7].strip("-")
    if not base:
        return f"app{pysecrets.token_hex(3)}"
    if not App.objects.filter(uid=base).exists():
        return base
    return f"{base}-{pysecrets.token_hex(3)}"


def _clean_text(field: str, value, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise ValidationError({field: [_("This field is required.")]})
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: [_("Must be text.")]})
    text = value.strip()
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > TEXT_FIELDS[field]:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": TEXT_FIELDS[field]}]})
    return text


def _clean_fields(fields: dict, *, creating: bool) -> dict:
    cleaned, errors = {}, {}
    for field, value in fields.items():
        try:
            if field == "allow_any_user":
                if not isinstance(value, bool):
                    raise ValidationError({field: [_("Must be true or false.")]})
                cleaned[field] = value
            else:
                cleaned[field] = _clean_text(field, value, required=field == "name")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if creating and "name" not in fields:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_protocols(data: dict) -> dict[str, dict | None]:
    """{sub-object key: cleaned config, or None to remove}; every problem reported by key."""
    cleaned, errors = {}, {}
    for key, value in data.items():
        if key in registry.UNAVAILABLE:
            if value is not None:  # v1 clients echo "oauth_app": null back; that asks for nothing
                errors[key] = [str(registry.UNAVAILABLE[key])]
            continue
        handler = registry.handler_for(key)
        if handler is None:
            errors[key] = [_("Unknown protocol.")]
        elif value is None:
            cleaned[key] = None
        else:
            try:
                cleaned[key] = handler.validate(value)
            except ValidationError as exc:
                errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def snapshot(app: App) -> dict:
    """What the audit diff compares: the app's fields and the names and configs of its protocols."""
    return {
        "uid": app.uid,
        "name": app.name,
        "logo": app.logo,
        "index": app.index,
        "remark": app.remark,
        "allow_any_user": app.allow_any_user,
        "protocols": {p.name: p.config for p in AppProtocol.objects.filter(app=app).order_by("name")},
    }


def _apply_protocols(app: App, cleaned: dict[str, dict | None], *, actor) -> dict:
    one_time = {}
    for key, config in cleaned.items():
        handler = registry.handler_for(key)
        if config is None:
            handler.remove(app)
            continue
        shown = handler.apply(app, config, actor=actor)
        if shown:
            one_time[key] = shown
    return one_time


@transaction.atomic
def create_app(
    *,
    actor,
    name: str,
    uid: str | None = None,
    logo: str = "",
    index: str = "",
    remark: str = "",
    allow_any_user: bool = False,
    protocols: dict | None = None,
) -> tuple[App, dict]:
    """The new app and the secrets its protocols issued, to be shown once ({} when none)."""
    fields = _clean_fields(
        {"name": name, "logo": logo, "index": index, "remark": remark, "allow_any_user": allow_any_user},
        creating=True,
    )
    cleaned_protocols = clean_protocols(protocols or {})
    uid = clean_uid(uid) if uid not in (None, "") else generate_uid(fields["name"])
    try:
        with transaction.atomic():  # a savepoint, so the outer transaction survives the conflict
            app = App.objects.create(uid=uid, created_by=actor if getattr(actor, "pk", None) else None, **fields)
    except IntegrityError:
        raise Conflict(_("An app with this uid already exists."), field="uid", code="exists") from None
    Permission.objects.create(
        uid=app.access_perm_uid, name=app.name, app=app, action="access", kind=Permission.Kind.ACCESS
    )
    cache.forget_app(app.uid)  # in case an app of that uid was deleted moments ago
    one_time = _apply_protocols(app, {k: v for k, v in cleaned_protocols.items() if v is not None}, actor=actor)
    record_event(Action.APP_CREATED, actor=actor, target=app, changes=diff({}, snapshot(app)))
    if resolve_scope(actor).is_manager:  # a sub-administrator made it: they manage it
        from apps.permissions.actions.manager_groups import create_for_new_app

        create_for_new_app(app, actor=actor)
    return app, one_time


@transaction.atomic
def update_app(app: App, *, actor, fields: dict, protocols: dict | None = None) -> tuple[App, dict]:
    """Change some of ``name, logo, index, remark, allow_any_user`` and the protocols given."""
    if "uid" in fields and fields["uid"] not in (None, app.uid):
        raise ValidationError({"uid": [_("The uid of an app cannot be changed.")]})
    cleaned = _clean_fields({k: v for k, v in fields.items() if k in UPDATABLE}, creating=False)
    cleaned_protocols = clean_protocols(protocols or {})
    app = App.objects.select_for_update().get(pk=app.pk)
    before = snapshot(app)
    for field, value in cleaned.items():
        setattr(app, field, value)
    app.save()
    cache.forget_app(app.uid)
    if "name" in cleaned:
        # The access permission carries the app's name (what perm lists show).
        Permission.objects.filter(app=app, kind=Permission.Kind.ACCESS).update(name=app.name)
    if before["allow_any_user"] != app.allow_any_user:
        cache.bump_perms(Permission.objects.filter(app=app, kind=Permission.Kind.ACCESS).values_list("id", flat=True))
    one_time = _apply_protocols(app, cleaned_protocols, actor=actor)
    changes = diff(before, snapshot(app))
    if changes:
        record_event(Action.APP_UPDATED, actor=actor, target=app, changes=changes)
    return app, one_time


@transaction.atomic
def delete_app(app: App, *, actor) -> None:
    """Delete the app, its permissions (access and custom) with their statuses, and its protocols."""
    app = App.objects.select_for_update().get(pk=app.pk)
    before = snapshot(app)
    perms = list(Permission.objects.filter(app=app).values_list("id", "uid"))
    for name in before["protocols"]:
        handler = registry.handler_for(name)
        if handler is not None:  # let a handler clean up what it keeps outside AppProtocol
            handler.remove(app)
    # The permissions (and, by cascade, their statuses) and leftover protocol rows go with the app.
    Permission.objects.filter(app=app).delete()
    app_pk = app.pk
    app.delete()
    app.pk = app_pk  # for the audit target id
    cache.bump_perms(pk for pk, _uid in perms)
    bump_scope_version()  # cached sub-administrator scopes listed its id
    cache.forget_app(app.uid)
    record_event(
        Action.APP_DELETED,
        actor=actor,
        target=app,
        changes=diff(before, {}),
        detail={"perms": [uid for _pk, uid in perms]},
    )
