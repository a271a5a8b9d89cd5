"""Avatar images: accepted by content, re-encoded to a square PNG without metadata."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.storage import images
from apps.storage.images import InvalidImage, square_avatar_png
from apps.storage.tests.conftest import image_bytes


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_common_formats_become_a_square_png(fmt):
    out = square_avatar_png(upload(image_bytes(fmt, size=(300, 120))))
    with Image.open(io.BytesIO(out)) as image:
        assert (image.format, image.size) == ("PNG", (images.AVATAR_SIZE, images.AVATAR_SIZE))


def test_exif_metadata_is_dropped():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "gps-leaking-software"  # Software
    data = image_bytes("JPEG", exif=exif.tobytes())
    assert b"SecretCam" in data
    out = square_avatar_png(upload(data, "me.jpg", "image/jpeg"))
    assert b"SecretCam" not in out and b"gps-leaking" not in out
    with Image.open(io.BytesIO(out)) as image:
        assert not image.getexif() and "exif" not in image.info


def test_a_polyglot_loses_its_payload():
    payload = b"<html><script>alert(document.cookie)</script></html>"
    out = square_avatar_png(upload(image_bytes() + payload))
    assert b"<script>" not in out and out.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"<html>not an image</html>",
        b"GIF89a" + b"\x00" * 10,  # a header and nothing else
        image_bytes("PNG")[:60],  # truncated
        image_bytes("BMP"),  # an image, but not one we take
    ],
    ids=["svg", "html", "gif-header", "truncated", "bmp"],
)
def test_what_is_not_an_accepted_image_is_refused(data):
    with pytest.raises(InvalidImage) as caught:
        square_avatar_png(upload(data, "evil.png"))
    assert caught.value.field == "file"


def test_size_limits(monkeypatch):
    with pytest.raises(InvalidImage, match="empty"):
        square_avatar_png(upload(b""))
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(InvalidImage, match="larger than"):
        square_avatar_png(upload(image_bytes(size=(200, 200), colour=(1, 2, 3)) + b"\x00" * 200))


def test_a_decompression_bomb_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    with pytest.raises(InvalidImage, match="too large"):
        square_avatar_png(upload(image_bytes(size=(101, 100))))
