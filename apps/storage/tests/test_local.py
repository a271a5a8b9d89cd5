"""Local-disk storage: avatars stored under MEDIA_ROOT and served safely from /media/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.audit.models import Action, Event
from apps.storage.actions import store_avatar
from apps.storage.tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


def test_stored_avatar_is_on_disk_and_served_with_safe_headers(media_root, user):
    alice = user
    url = store_avatar(SimpleUploadedFile("a.jpg", image_bytes("JPEG")), actor=alice)
    assert url.startswith("https://id.example.com/media/avatars/") and url.endswith(".png")
    name = url.split("/media/", 1)[1]
    assert (media_root / name).read_bytes().startswith(b"\x89PNG")
    event = Event.objects.get(action=Action.FILE_STORED)
    assert event.actor_id == alice.pk and event.detail["method"] == "local"

    response = Client().get(f"/media/{name}")  # public: apps show avatars to anyone
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.content == (media_root / name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "avatars/../../secret_key",
        "secret_key",
        "avatars/x.html",
        "avatars/" + "a" * 32 + ".svg",
        "avatars/" + "A" * 32 + ".png",
        "arkid-connection-test/x.txt",
    ],  # fmt: skip
)
def test_only_names_we_hand_out_are_served(name, media_root):
    (media_root / "avatars").mkdir(parents=True)
    (media_root / "secret_key").write_text("do not serve")
    assert Client().get(f"/media/{name}").status_code == 404


def test_a_missing_file_is_404():
    assert Client().get("/media/avatars/" + "0" * 32 + ".png").status_code == 404


def test_post_is_not_allowed():
    assert Client().post("/media/avatars/" + "0" * 32 + ".png").status_code == 405


def test_upload_api_stores_an_image_and_refuses_anything_else(user_client, media_root):
    ok = user_client.post("/siteapi/oneid/service/file/", {"file": SimpleUploadedFile("me.png", image_bytes())})
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["url"].endswith(body["file_name"]) and (media_root / "avatars" / body["file_name"]).exists()

    html = SimpleUploadedFile("me.png", b"<html><script>alert(1)</script>", content_type="image/png")
    bad = user_client.post("/siteapi/oneid/service/file/", {"file": html})
    assert bad.status_code == 400 and "file" in bad.json()
    missing = user_client.post("/siteapi/oneid/service/file/", {})
    assert missing.status_code == 400 and "file" in missing.json()
    assert list((media_root / "avatars").iterdir()) == [media_root / "avatars" / body["file_name"]]


def test_upload_api_needs_a_signed_in_user(api_client):
    response = api_client.post("/siteapi/v1/service/file/", {"file": SimpleUploadedFile("me.png", image_bytes())})
    assert response.status_code in (401, 403)


def test_uploads_per_account_are_limited(user_client, media_root, monkeypatch):
    from apps.storage import actions  # noqa: PLC0415

    monkeypatch.setattr(actions, "UPLOADS_PER_HOUR", 2)
    for _ in range(2):
        ok = user_client.post("/siteapi/oneid/service/file/", {"file": SimpleUploadedFile("me.png", image_bytes())})
        assert ok.status_code == 201
    third = user_client.post("/siteapi/oneid/service/file/", {"file": SimpleUploadedFile("me.png", image_bytes())})
    assert third.status_code == 429 and third.json()["code"] == "too_many_uploads"
    assert len(list((media_root / "avatars").iterdir())) == 2


def test_v1_flow_upload_then_set_as_avatar(user_client, user):
    uploaded = user_client.post("/siteapi/oneid/service/file/", {"file": SimpleUploadedFile("me.png", image_bytes())})
    url = uploaded.json()["url"]
    saved = user_client.patch("/siteapi/oneid/ucenter/profile/", {"avatar": url}, format="json")
    assert saved.status_code == 200, saved.content
    user.refresh_from_db()
    assert user.avatar == url and Client().get(url.removeprefix("https://id.example.com")).status_code == 200
