"""The daily sweep of avatar files no account points at (apps.accounts.actions.avatars), on
local disk and on a real S3-speaking server."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.utils import timezone

from apps.accounts import tasks
from apps.accounts.actions.avatars import GRACE, purge_unused_avatars
from apps.audit.models import Action, Event
from apps.directory.tests.factories import create_test_user
from apps.storage.actions import update_storage_config, url_of
from apps.storage.backends import local_storage, storage_for
from apps.storage.models import StorageConfig
from apps.storage.tests.conftest import s3_client, s3_server, s3_values  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BASE_URL = "https://id.example.com"
    return settings.MEDIA_ROOT


def _stored(storage, *, days_old: float = 0.0, name: str | None = None) -> str:
    name = storage.save(name or f"avatars/{uuid.uuid4().hex}.png", ContentFile(b"\x89PNG fake"))
    if days_old:
        when = time.time() - days_old * 86400
        os.utime(storage.path(name), (when, when))
    return name


def test_only_old_files_nobody_uses_are_deleted(media):
    storage = local_storage()
    mine = _stored(storage, days_old=3)
    moved = _stored(storage, days_old=3)
    orphan = _stored(storage, days_old=3)
    fresh = _stored(storage)  # an upload whose profile change has not come yet
    foreign = _stored(storage, days_old=3, name="avatars/readme.txt")
    create_test_user("bob", avatar=url_of(mine))
    # Made under another base URL (the public URL changed since): still this file.
    create_test_user("carol", avatar=f"https://old.example.com/media/{moved}")

    assert purge_unused_avatars() == {"avatars": 1}

    assert not storage.exists(orphan)
    assert all(storage.exists(name) for name in (mine, moved, fresh, foreign))
    event = Event.objects.get(action=Action.FILE_DELETED)
    assert event.detail["name"] == orphan and event.actor is None
    assert purge_unused_avatars() == {"avatars": 0}  # nothing left to do: a re-run is harmless


def test_the_grace_period_is_measured_from_the_files_time(media):
    storage = local_storage()
    name = _stored(storage)
    assert purge_unused_avatars(now=timezone.now() + GRACE - dt.timedelta(minutes=1)) == {"avatars": 0}
    assert purge_unused_avatars(now=timezone.now() + GRACE + dt.timedelta(minutes=1)) == {"avatars": 1}
    assert not storage.exists(name)


def test_no_avatars_folder_yet_is_nothing_to_do(media):
    assert purge_unused_avatars() == {"avatars": 0}


def test_on_s3_too(s3_client, s3_values, admin_user):  # noqa: F811 - fixtures
    update_storage_config(s3_values, actor=admin_user)
    storage = storage_for(StorageConfig.load())
    kept, _unused = _stored(storage), _stored(storage)
    create_test_user("bob", avatar=url_of(kept))
    # moto dates objects now: the sweep is run as if two grace periods had passed.
    assert purge_unused_avatars(now=timezone.now() + 2 * GRACE) == {"avatars": 1}
    keys = {obj["Key"] for obj in s3_client.list_objects_v2(Bucket=s3_values["bucket"]).get("Contents", [])}
    assert keys == {f"arkid/{kept}"}


def test_a_storage_that_cannot_be_listed_is_skipped(s3_client, s3_values, admin_user):  # noqa: F811
    update_storage_config({**s3_values, "bucket": "no-such-bucket"}, actor=admin_user)
    assert purge_unused_avatars() == {"avatars": 0}


def test_the_sweep_runs_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["accounts-purge-unused-avatars"]
    assert entry["task"] == tasks.purge_unused_avatars.name and entry["schedule"] == 24 * 3600
