"""Console: file storage settings (admin or system_config_write), the connection test against
a real S3-speaking server, the secret key never sent back."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event, Outcome
from apps.storage.models import StorageConfig
from apps.storage.tests.conftest import BUCKET, S3_KEY, S3_SECRET, s3_client, s3_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
URL = "/console/storage/"


@pytest.fixture
def s3_form(s3_server):  # noqa: F811 - the fixture imported above
    return {"method": "s3", "endpoint_url": s3_server, "region": "us-east-1", "bucket": BUCKET,
            "access_key": S3_KEY, "secret_key": S3_SECRET, "prefix": "", "path_style": "on"}  # fmt: skip


def test_only_admins_and_config_writers_enter(admin_web, boss_web, plain_web):
    assert admin_web.get(URL).status_code == 200
    assert boss_web.get(URL).status_code == 403  # a sub-admin without system_config_write
    assert plain_web.get(URL).status_code == 403


def test_save_validates_inline_and_never_shows_the_secret(admin_web, s3_form):
    bad = admin_web.post(URL, {**s3_form, "bucket": "Bad_Bucket", "endpoint_url": "ftp://x", "action": "save"})
    assert bad.status_code == 400
    assert b'id="id_bucket-errors"' in bad.content and b'id="id_endpoint_url-errors"' in bad.content
    assert not StorageConfig.objects.exists()

    ok = admin_web.post(URL, {**s3_form, "action": "save"})
    assert ok.status_code == 302
    assert StorageConfig.load().secret_key == S3_SECRET
    page = admin_web.get(URL).content.decode()
    assert S3_SECRET not in page and "A secret key is saved" in page
    event = Event.objects.get(action=Action.STORAGE_CONFIG_UPDATED)
    assert S3_SECRET not in str(event.changes)

    kept = admin_web.post(URL, {**s3_form, "secret_key": "", "prefix": "files", "action": "save"})
    assert kept.status_code == 302
    assert (StorageConfig.load().secret_key, StorageConfig.load().prefix) == (S3_SECRET, "files")


def test_connection_test_uses_the_form_without_saving(admin_web, s3_form, s3_client):  # noqa: F811
    works = admin_web.post(URL, {**s3_form, "action": "test"})
    assert works.status_code == 200 and b'data-test-result="ok"' in works.content
    assert not StorageConfig.objects.exists()
    assert s3_client.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0

    fails = admin_web.post(URL, {**s3_form, "bucket": "missing-bucket", "action": "test"})
    assert b'data-test-result="failed"' in fails.content and b"NoSuchBucket" in fails.content
    outcomes = list(Event.objects.filter(action=Action.STORAGE_TESTED).order_by("id").values_list("outcome", flat=True))
    assert outcomes == [Outcome.SUCCESS, Outcome.FAILURE]


def test_post_needs_csrf(world):
    from django.test import Client  # noqa: PLC0415

    from apps.portal.tests.conftest import PASSWORD  # noqa: PLC0415

    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    signed_in = client.post("/login/", {"identifier": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302 and client.get(URL).status_code == 200
    assert client.post(URL, {"method": "local", "action": "save"}).status_code == 403
    assert not StorageConfig.objects.exists()


def test_page_and_errors_in_chinese(admin_web):
    page = admin_web.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "文件存储" in page and "测试连接" in page and "本地磁盘" in page
    bad = admin_web.post(URL, {"method": "s3", "bucket": "X", "action": "save"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请输入存储桶名称" in bad.content.decode()
