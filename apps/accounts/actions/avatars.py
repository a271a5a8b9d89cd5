"""Deleting stored avatar files no account points at any more.

The profile page deletes the file it replaces right away (apps.portal.views). Every other way
an avatar stops being used leaves the file behind: the API sets ``avatar`` to any URL (a new
upload, another picture, nothing), an administrator edits it, DingTalk sync brings its own
picture, an account is deleted, an upload is never attached. One daily sweep covers them all:
a file under ``avatars/`` in the configured storage that no account's ``avatar`` names and
that is older than :data:`GRACE` (an upload waits for the request that attaches it) is
deleted, audited as ``storage.file_deleted`` by apps.storage.

Here, above both apps.directory and apps.storage (which may not import each other), because
the sweep needs both.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from apps.directory.models import User
from apps.storage.actions import AVATAR_DIR, STORED_NAME_RE, discard_file
from apps.storage.backends import STORAGE_ERRORS, storage_for
from apps.storage.models import StorageConfig

logger = logging.getLogger("arkid.accounts")

GRACE = dt.timedelta(days=1)


def _referenced_names() -> set[str]:
    """``avatars/<name>`` of every account's avatar that points into an avatars folder,
    whatever base URL it was made under (the public URL or the storage may have changed)."""
    urls = User.objects.filter(avatar__contains=f"/{AVATAR_DIR}/").values_list("avatar", flat=True)
    return {f"{AVATAR_DIR}/{url.rsplit('/', 1)[-1]}" for url in urls.iterator(chunk_size=2000)}


def purge_unused_avatars(*, now=None) -> dict[str, int]:
    """Delete unused avatar files older than :data:`GRACE`; ``{"avatars": deleted}``. A
    storage that cannot be listed is logged and skipped: the next run tries again."""
    now = now or timezone.now()
    storage = storage_for(StorageConfig.load())
    try:
        _folders, files = storage.listdir(AVATAR_DIR)
    except FileNotFoundError:
        return {"avatars": 0}
    except STORAGE_ERRORS as exc:
        logger.warning("listing the stored avatars failed: %s", exc)
        return {"avatars": 0}
    stored = {f"{AVATAR_DIR}/{name}" for name in files} - _referenced_names()
    deleted = 0
    for name in sorted(stored):
        if not STORED_NAME_RE.match(name):
            continue  # not a name ArkID hands out: someone else's file, left alone
        try:
            if storage.get_modified_time(name) > now - GRACE:
                continue
        except (FileNotFoundError, *STORAGE_ERRORS) as exc:
            logger.warning("reading the age of %s failed: %s", name, exc)
            continue
        deleted += discard_file(name, actor=None)
    return {"avatars": deleted}
