"""Avatar images: accepted by content (Pillow), never by name or declared type, and
re-encoded so that what we store is a plain square PNG with no metadata (EXIF with GPS
positions is gone) and no trailing bytes (a "polyglot" PNG+HTML or PNG+ZIP cannot survive a
decode and re-encode)."""

from __future__ import annotations

import io
import warnings

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.core.exceptions import DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
AVATAR_SIZE = 256
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})


class InvalidImage(DomainError):
    def __init__(self, message: str):
        super().__init__(message, field="file", code="invalid_image")


def _read_limited(upload) -> bytes:
    if getattr(upload, "size", 0) > MAX_UPLOAD_BYTES:
        raise InvalidImage(_("The image is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidImage(_("The image is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
    if not data:
        raise InvalidImage(_("The file is empty."))
    return data


def square_avatar_png(upload) -> bytes:
    """A ``AVATAR_SIZE`` square PNG made from the uploaded image, or :class:`InvalidImage`."""
    data = _read_limited(upload)
    not_an_image = InvalidImage(_("Upload a PNG, JPEG, GIF or WebP image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                width, height = image.size
                if width * height > MAX_PIXELS or min(width, height) < 1:
                    raise InvalidImage(_("The image is too large."))
                image.seek(0)  # the first frame of an animation
                image.load()
                image = ImageOps.exif_transpose(image)  # phones store rotation in EXIF
                image = image.convert("RGBA")
                square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_an_image from None
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or corrupt image data
        raise not_an_image from None
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)  # no pnginfo, no exif: metadata is dropped
    return out.getvalue()
