"""Avatar upload on the profile page: checked by content, stored per the storage config, and
the profile points at it; bad files are inline errors."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from apps.audit.models import Action, Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BASE_URL = "http://testserver"
    settings.LANGUAGE_CODE = "en"
    return settings.MEDIA_ROOT


def jpeg(size=(320, 200)) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "LeakyCam"
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_upload_sets_the_avatar_and_it_is_served(bob_client, staff, media):
    response = bob_client.post("/profile/avatar/", {"file": SimpleUploadedFile("me.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.avatar.startswith("http://testserver/media/avatars/")
    name = staff.avatar.split("/media/", 1)[1]
    stored = (media / name).read_bytes()
    assert b"LeakyCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("PNG", (256, 256))
    page = bob_client.get("/profile/").content.decode()
    assert f'src="{staff.avatar}"' in page
    served = Client().get(f"/media/{name}")
    assert served.status_code == 200 and served.content == stored
    assert Event.objects.filter(action=Action.FILE_STORED, actor_id=staff.pk).count() == 1
    assert Event.objects.filter(action=Action.USER_UPDATED, target_id=str(staff.pk)).exists()


@pytest.mark.parametrize(
    "data",
    [b"<html><script>alert(1)</script></html>", b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40],
    ids=["html-named-png", "empty", "broken-png"],
)
def test_bad_files_are_inline_errors_and_change_nothing(bob_client, staff, media, data):
    response = bob_client.post("/profile/avatar/", {"file": SimpleUploadedFile("me.png", data, "image/png")})
    assert response.status_code == 400
    assert b'class="errors" id="id_file-errors"' in response.content
    staff.refresh_from_db()
    assert staff.avatar == "" and not media.exists()


def test_remove_avatar(bob_client, staff):
    bob_client.post("/profile/avatar/", {"file": SimpleUploadedFile("me.jpg", jpeg(), "image/jpeg")})
    assert bob_client.post("/profile/avatar/remove/").status_code == 302
    staff.refresh_from_db()
    assert staff.avatar == ""


def test_upload_needs_post_and_sign_in(bob_client):
    assert bob_client.get("/profile/avatar/").status_code == 405
    assert Client().post("/profile/avatar/")["Location"].startswith("/login/")


def test_a_replaced_avatar_file_is_deleted_unless_someone_else_uses_it(
    bob_client, staff, media, django_capture_on_commit_callbacks
):
    from apps.directory.tests.factories import create_test_user  # noqa: PLC0415

    bob_client.post("/profile/avatar/", {"file": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")})
    staff.refresh_from_db()
    first = media / staff.avatar.split("/media/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        bob_client.post("/profile/avatar/", {"file": SimpleUploadedFile("b.jpg", jpeg((90, 90)), "image/jpeg")})
    staff.refresh_from_db()
    second = media / staff.avatar.split("/media/", 1)[1]
    assert not first.exists() and second.exists()
    assert Event.objects.filter(action=Action.FILE_DELETED, detail__name=f"avatars/{first.name}").exists()

    create_test_user("copycat", avatar=staff.avatar)  # the API lets anyone point at any URL
    with django_capture_on_commit_callbacks(execute=True):
        bob_client.post("/profile/avatar/remove/")
    assert second.exists()  # still someone's avatar


def test_removing_deletes_the_file(bob_client, staff, media, django_capture_on_commit_callbacks):
    bob_client.post("/profile/avatar/", {"file": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")})
    staff.refresh_from_db()
    stored = media / staff.avatar.split("/media/", 1)[1]
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        bob_client.post("/profile/avatar/remove/")
    assert not stored.exists()
