"""Browser test of the file storage page: an administrator fills in S3 (moto's server),
tests the connection, saves. ``ARKID_SCREENSHOTS=1`` saves docs/screenshots/console-storage-*.png."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from apps.directory.tests.factories import create_test_user
from apps.portal.tests.test_browser import browser, log_in, page, pytestmark, shot, sync_api  # noqa: F401
from apps.storage.models import StorageConfig
from apps.storage.tests.conftest import BUCKET, S3_KEY, S3_SECRET, s3_client, s3_server  # noqa: F401

__all__ = ["pytestmark"]


@pytest.fixture(autouse=True)
def _seed(transactional_db):
    importlib.import_module("apps.directory.migrations.0002_builtin_group_types").create_builtin_types(
        django_apps, None
    )


def test_admin_tests_and_saves_s3_storage(page, s3_server, s3_client):  # noqa: F811
    create_test_user("admin", name="Administrator", is_admin=True)
    log_in(page, "admin")
    page.goto(f"{page.base}/console/storage/")
    shot(page, "console-storage-local")
    page.get_by_label("S3 or MinIO").check()
    page.get_by_label("Endpoint URL", exact=True).fill(s3_server)
    page.get_by_label("Region", exact=True).fill("us-east-1")
    page.get_by_label("Bucket", exact=True).fill(BUCKET)
    page.get_by_label("Access key", exact=True).fill(S3_KEY)
    page.get_by_label("Secret key", exact=True).fill(S3_SECRET)
    page.get_by_role("button", name="Test connection").click()
    sync_api.expect(page.locator('[data-test-result="ok"]')).to_be_visible()
    assert not StorageConfig.objects.exists()  # a test does not save
    shot(page, "console-storage-s3")
    page.get_by_label("Secret key", exact=True).fill(S3_SECRET)  # never rendered back: typed again
    page.get_by_role("button", name="Save").click()
    sync_api.expect(page.locator(".flash")).to_be_visible()
    assert StorageConfig.load().bucket == BUCKET
    assert S3_SECRET not in page.content()
