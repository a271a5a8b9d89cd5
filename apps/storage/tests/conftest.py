"""Storage fixtures: media on a temporary folder; a real S3-speaking server (moto's) over HTTP."""

from __future__ import annotations

import io

import pytest
from PIL import Image

S3_KEY, S3_SECRET, BUCKET = "arkid-test-key", "arkid-test-secret", "arkid-avatars"


def image_bytes(fmt: str = "PNG", size=(40, 30), colour=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt, **save)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BASE_URL = "https://id.example.com"
    settings.LANGUAGE_CODE = "en"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free local port, in a thread: boto3 talks to it over real HTTP."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - a dev-only dependency

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_server):
    """A plain boto3 client on the emulator, to see what really reached the bucket."""
    import boto3  # noqa: PLC0415

    client = boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET, region_name="us-east-1"
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET in existing:
        for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    else:
        client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def s3_values(s3_server) -> dict:
    return {"method": "s3", "endpoint_url": s3_server, "region": "us-east-1", "bucket": BUCKET,
            "access_key": S3_KEY, "secret_key": S3_SECRET, "prefix": "arkid", "path_style": True}  # fmt: skip
