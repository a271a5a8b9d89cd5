"""Writes of the storage app: the configuration (validated, audited, secret never echoed), the
connection test, and storing an uploaded avatar."""

from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from rest_framework import exceptions

from apps.audit.actions import diff, record_event
from apps.audit.models import Action, Outcome
from apps.core.exceptions import DomainError
from apps.storage.backends import STORAGE_ERRORS, check_round_trip, storage_for
from apps.storage.images import square_avatar_png
from apps.storage.models import StorageConfig

logger = logging.getLogger("arkid.storage")

EDITABLE = ("method", "endpoint_url", "region", "bucket", "access_key", "secret_key", "prefix", "path_style",
            "public_url")  # fmt: skip
SECRET_MARK = "***"  # noqa: S105 - shown in the audit log instead of the secret
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PREFIX_RE = re.compile(r"^[A-Za-z0-9._/-]*$")
AVATAR_DIR = "avatars"
UPLOADS_PER_HOUR, UPLOAD_WINDOW = 30, 3600
# The names we hand out; the media view serves nothing else.
STORED_NAME_RE = re.compile(rf"^{AVATAR_DIR}/[0-9a-f]{{32}}\.png$")


def _is_http_url(value: str) -> bool:
    """http(s) with a host, no credentials in it (``http://minio:9000`` is fine: service
    names of a compose file have no dot, which Django's URLValidator would refuse)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc and " " not in value


def _check_url(errors: dict, field: str, value: str) -> None:
    if value and not _is_http_url(value):
        errors[field] = [_("Enter an http:// or https:// URL.")]


def build_config(values: dict, current: StorageConfig | None = None) -> StorageConfig:
    """An unsaved config: ``current`` with ``values`` applied (a blank ``secret_key`` keeps
    the saved one), or ``ValidationError`` with a message per field."""
    current = current or StorageConfig.load()
    config = StorageConfig(**{f: getattr(current, f) for f in EDITABLE}, pk=1)
    for field in EDITABLE:
        if field in values and not (field == "secret_key" and not values[field]):
            value = values[field]
            setattr(config, field, value.strip() if isinstance(value, str) and field != "secret_key" else value)
    errors: dict[str, list[str]] = {}
    if config.method not in StorageConfig.Method.values:
        errors["method"] = [_("Choose local disk or S3.")]
    _check_url(errors, "endpoint_url", config.endpoint_url)
    _check_url(errors, "public_url", config.public_url)
    if ".." in config.prefix or not PREFIX_RE.match(config.prefix):
        errors["prefix"] = [_("Use letters, digits, '.', '_', '-' and '/' only.")]
    if config.method == StorageConfig.Method.S3:
        if not BUCKET_RE.match(config.bucket):
            errors["bucket"] = [_("Enter a bucket name: 3 to 63 lower-case letters, digits, '.' or '-'.")]
        for field in ("access_key", "secret_key"):
            if not getattr(config, field):
                errors[field] = [_("This field is required for S3.")]
    if errors:
        raise ValidationError(errors)
    return config


def _snapshot(config: StorageConfig) -> dict:
    data = model_to_dict(config, fields=EDITABLE)
    data["secret_key"] = SECRET_MARK if data["secret_key"] else ""
    return data


@transaction.atomic
def update_storage_config(values: dict, *, actor) -> dict:
    """Validate and save; returns the changes (``{field: [old, new]}``, the secret masked)."""
    current = StorageConfig.objects.select_for_update().filter(pk=1).first() or StorageConfig(pk=1)
    before = _snapshot(current)
    config = build_config(values, current)
    config.save()
    changes = diff(before, _snapshot(config))
    if values.get("secret_key") and "secret_key" not in changes:
        changes["secret_key"] = [SECRET_MARK, SECRET_MARK]  # replaced by another secret
    if changes:
        record_event(
            Action.STORAGE_CONFIG_UPDATED, actor=actor, target_type="config", target_name="storage", changes=changes
        )
    return changes


def test_connection(config: StorageConfig, *, actor) -> str:
    """Round-trip a small object through ``config`` (saved or not). Returns ``""`` when it
    works, else a short reason for the admin (the full error goes to the server log)."""
    try:
        check_round_trip(config)
    except (*STORAGE_ERRORS, AssertionError) as exc:
        logger.warning("storage connection test failed: %s", exc)
        reason = _short_reason(exc)
    else:
        reason = ""
    record_event(
        Action.STORAGE_TESTED,
        actor=actor,
        target_type="config",
        target_name="storage",
        detail={"method": config.method, "endpoint": config.endpoint_url, "bucket": config.bucket, "error": reason},
        outcome=Outcome.FAILURE if reason else Outcome.SUCCESS,
    )
    return reason


test_connection.__test__ = False  # not a pytest test, despite the name


def _short_reason(exc: Exception) -> str:
    code = getattr(exc, "response", None) and exc.response.get("Error", {}).get("Code")
    return str(code or exc.__class__.__name__)[:200]


def url_of(name: str, config: StorageConfig | None = None) -> str:
    """Where a stored file is fetched: the bucket's public URL when configured, else ArkID's
    own ``/media/`` (which reads the file from the storage, whatever it is)."""
    config = config or StorageConfig.load()
    if config.method == StorageConfig.Method.S3 and config.public_url:
        prefix = config.prefix.strip("/")
        return "/".join(part for part in (config.public_url.rstrip("/"), prefix, name) if part)
    return f"{settings.BASE_URL}/media/{name}"


class TooManyUploads(DomainError):
    status_code = 429

    def __init__(self):
        super().__init__(_("Too many uploads. Try again later."), field="file", code="too_many_uploads")


def _count_upload(actor) -> None:
    """At most ``UPLOADS_PER_HOUR`` stored files per account: every upload is a new file."""
    key = f"storage:uploads:{actor.pk}"
    cache.add(key, 0, timeout=UPLOAD_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=UPLOAD_WINDOW)
        count = 1
    if count > UPLOADS_PER_HOUR:
        raise TooManyUploads()


def stored_name_of(url: str, config: StorageConfig | None = None) -> str | None:
    """The stored file behind a URL that :func:`url_of` made (ArkID's ``/media/`` or the
    bucket's public URL), or ``None`` for any other URL."""
    config = config or StorageConfig.load()
    bases = [f"{settings.BASE_URL}/media/"]
    if config.method == StorageConfig.Method.S3 and config.public_url:
        bases.append(url_of("", config) + "/")
    for base in bases:
        name = url[len(base) :] if url and url.startswith(base) else ""
        if STORED_NAME_RE.match(name):
            return name
    return None


def discard_file(name: str, *, actor) -> bool:
    """Delete a stored file nobody uses any more (the caller checked); whether it went. A
    storage error is logged, not raised: the user's change is done, a leftover file is
    harmless."""
    if not STORED_NAME_RE.match(name):
        return False
    config = StorageConfig.load()
    try:
        storage_for(config).delete(name)
    except STORAGE_ERRORS as exc:
        logger.warning("deleting %s from the storage failed: %s", name, exc)
        return False
    record_event(Action.FILE_DELETED, actor=actor, target=actor, detail={"name": name, "method": config.method})
    return True


def store_avatar(upload, *, actor) -> str:
    """Check and re-encode the uploaded image (:mod:`apps.storage.images`), store it under a
    random name in the configured storage; returns its URL. Audited ``storage.file_stored``."""
    png = square_avatar_png(upload)
    _count_upload(actor)
    config = StorageConfig.load()
    name = f"{AVATAR_DIR}/{uuid.uuid4().hex}.png"
    try:
        stored = storage_for(config).save(name, ContentFile(png))
    except STORAGE_ERRORS:
        logger.exception("storing an avatar failed")
        raise StorageUnavailable() from None
    record_event(
        Action.FILE_STORED,
        actor=actor,
        target=actor,
        detail={"name": stored, "bytes": len(png), "method": config.method},
    )
    return url_of(stored, config)


class StorageUnavailable(exceptions.APIException):
    """The storage refused or could not be reached (the API answers 503)."""

    status_code = 503
    default_detail = "The file could not be stored. Try again later."
    default_code = "storage_unavailable"
