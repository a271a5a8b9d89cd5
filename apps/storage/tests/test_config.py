"""The storage configuration: validation, the secret encrypted and never returned, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps.audit.models import Action, Event
from apps.storage.actions import build_config, update_storage_config
from apps.storage.models import StorageConfig

pytestmark = pytest.mark.django_db

S3 = {"method": "s3", "endpoint_url": "http://minio:9000", "bucket": "avatars", "access_key": "AK",
      "secret_key": "very-secret-value"}  # fmt: skip


def test_default_is_local_disk_without_a_row():
    assert StorageConfig.load().method == "local"
    assert not StorageConfig.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({**S3, "bucket": "No_Such"}, "bucket"),
        ({**S3, "secret_key": ""}, "secret_key"),
        ({**S3, "access_key": ""}, "access_key"),
        ({**S3, "endpoint_url": "javascript:alert(1)"}, "endpoint_url"),
        ({**S3, "public_url": "ftp://files"}, "public_url"),
        ({**S3, "prefix": "../up"}, "prefix"),
        ({"method": "ftp"}, "method"),
    ],
)
def test_bad_values_are_field_errors_and_nothing_is_saved(values, field, admin_user):
    with pytest.raises(ValidationError) as caught:
        update_storage_config(values, actor=admin_user)
    assert field in caught.value.message_dict
    assert not StorageConfig.objects.exists()
    assert not Event.objects.filter(action=Action.STORAGE_CONFIG_UPDATED).exists()


def test_secret_is_encrypted_at_rest_masked_in_audit_and_kept_when_blank(admin_user):
    update_storage_config(S3, actor=admin_user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_key FROM storage_storageconfig WHERE id = 1")
        raw = cursor.fetchone()[0]
    assert "very-secret-value" not in raw and StorageConfig.load().secret_key == "very-secret-value"
    event = Event.objects.get(action=Action.STORAGE_CONFIG_UPDATED)
    assert "secret_key" in event.changes and "very-secret-value" not in str(event.changes)

    update_storage_config({"bucket": "other-bucket", "secret_key": ""}, actor=admin_user)
    assert StorageConfig.load().secret_key == "very-secret-value"  # a blank field keeps it
    assert build_config({}).bucket == "other-bucket"


def test_api_never_returns_the_secret(admin_client, user_client):
    response = admin_client.patch("/siteapi/oneid/config/storage/", S3, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert "secret_key" not in body and body["secret_key_set"] is True and body["bucket"] == "avatars"
    assert "very-secret-value" not in admin_client.get("/siteapi/oneid/config/storage/").content.decode()
    bad = admin_client.patch("/siteapi/oneid/config/storage/", {"bucket": "UPPER"}, format="json")
    assert bad.status_code == 400 and "bucket" in bad.json()
    assert user_client.get("/siteapi/oneid/config/storage/").status_code == 403
    assert user_client.patch("/siteapi/oneid/config/storage/", {"method": "local"}, format="json").status_code == 403
