"""S3 storage against a real S3-speaking HTTP server (moto's, in a thread): the bytes must
reach the bucket, and /media/ must read them back from there."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.audit.models import Action, Event, Outcome
from apps.core.tests.net import free_port
from apps.storage.actions import build_config, store_avatar, test_connection, update_storage_config
from apps.storage.tests.conftest import BUCKET, image_bytes

pytestmark = pytest.mark.django_db


def test_avatar_reaches_the_bucket_and_is_served_from_it(s3_client, s3_values, admin_user, media_root):
    update_storage_config(s3_values, actor=admin_user)
    url = store_avatar(SimpleUploadedFile("me.gif", image_bytes("GIF")), actor=admin_user)
    name = url.split("/media/", 1)[1]
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"arkid/{name}"]
    stored = s3_client.get_object(Bucket=BUCKET, Key=f"arkid/{name}")["Body"].read()
    assert stored.startswith(b"\x89PNG")
    assert not media_root.exists()  # nothing on the local disk

    response = Client().get(f"/media/{name}")
    assert response.status_code == 200 and response.content == stored
    s3_client.delete_object(Bucket=BUCKET, Key=f"arkid/{name}")
    assert Client().get(f"/media/{name}").status_code == 404


def test_public_url_is_used_when_set(s3_client, s3_values, admin_user):
    update_storage_config({**s3_values, "public_url": "https://cdn.example.com/avatars/"}, actor=admin_user)
    url = store_avatar(SimpleUploadedFile("me.png", image_bytes()), actor=admin_user)
    key = url.removeprefix("https://cdn.example.com/avatars/")
    assert key.startswith("arkid/avatars/")
    assert s3_client.head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0


def test_connection_test_passes_and_leaves_nothing_behind(s3_client, s3_values, admin_user):
    assert test_connection(build_config(s3_values), actor=admin_user) == ""
    assert s3_client.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert Event.objects.get(action=Action.STORAGE_TESTED).outcome == Outcome.SUCCESS


def test_connection_test_reports_a_missing_bucket_and_a_dead_endpoint(s3_client, s3_values, admin_user):
    missing = test_connection(build_config({**s3_values, "bucket": "no-such-bucket"}), actor=admin_user)
    assert missing == "NoSuchBucket"
    dead = build_config({**s3_values, "endpoint_url": f"http://127.0.0.1:{free_port()}"})
    assert test_connection(dead, actor=admin_user) != ""
    outcomes = list(Event.objects.filter(action=Action.STORAGE_TESTED).values_list("outcome", flat=True))
    assert outcomes == [Outcome.FAILURE, Outcome.FAILURE]


def test_store_fails_cleanly_when_the_bucket_is_gone(s3_client, s3_values, admin_user, user_client):
    update_storage_config({**s3_values, "bucket": "no-such-bucket"}, actor=admin_user)
    response = user_client.post("/siteapi/oneid/service/file/", {"file": SimpleUploadedFile("me.png", image_bytes())})
    assert response.status_code == 503


def test_names_behind_our_urls_only(s3_client, s3_values, admin_user):
    from apps.storage.actions import stored_name_of  # noqa: PLC0415

    name = "avatars/" + "a" * 32 + ".png"
    assert stored_name_of(f"https://id.example.com/media/{name}") == name
    assert stored_name_of(f"https://evil.example.com/media/{name}") is None
    assert stored_name_of("https://id.example.com/media/avatars/../secret_key") is None
    update_storage_config({**s3_values, "public_url": "https://cdn.example.com"}, actor=admin_user)
    assert stored_name_of(f"https://cdn.example.com/arkid/{name}") == name
    assert stored_name_of(f"https://cdn.example.com/{name}") is None  # not under the prefix
