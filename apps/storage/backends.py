"""A Django ``Storage`` for a :class:`StorageConfig`: the local disk under
``ARKID_MEDIA_ROOT`` (default ``ARKID_VAR_DIR/media``) or an S3-compatible bucket through
django-storages (boto3), with short timeouts so a dead endpoint fails a request quickly."""

from __future__ import annotations

import uuid

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from storages.backends.s3 import S3Storage

from apps.storage.models import StorageConfig

# Errors of the storage itself (network, credentials, bucket), as opposed to our bugs.
STORAGE_ERRORS = (BotoCoreError, ClientError, OSError)


def local_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.MEDIA_ROOT, file_permissions_mode=0o640)


def s3_storage(config: StorageConfig) -> S3Storage:
    return S3Storage(
        bucket_name=config.bucket,
        endpoint_url=config.endpoint_url or None,
        region_name=config.region or None,
        access_key=config.access_key,
        secret_key=config.secret_key,
        location=config.prefix.strip("/"),
        addressing_style="path" if config.path_style else "virtual",
        default_acl=None,  # the bucket's policy decides; we never make objects public ourselves
        file_overwrite=False,
        querystring_auth=False,
        client_config=BotoConfig(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )


def storage_for(config: StorageConfig) -> Storage:
    return s3_storage(config) if config.method == StorageConfig.Method.S3 else local_storage()


def check_round_trip(config: StorageConfig) -> None:
    """Write, read back and delete a small object; raises one of :data:`STORAGE_ERRORS` (or
    ``AssertionError`` when the read differs) if the storage does not work."""
    storage = storage_for(config)
    payload = uuid.uuid4().hex.encode()
    name = storage.save(f"arkid-connection-test/{uuid.uuid4().hex}.txt", ContentFile(payload))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise AssertionError("the object read back differs from the one written")
    finally:
        storage.delete(name)
