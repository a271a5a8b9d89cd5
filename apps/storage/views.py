"""``/media/<name>``: stored files, read from the configured storage (local disk or S3).

Only names this app hands out are served (random hex, ``.png``), always as ``image/png``
with ``nosniff`` and a sandboxing CSP, so even a file planted in the storage by other means
cannot be served as a page of this origin. Names are random and never reused: caches may
keep them forever."""

from __future__ import annotations

import logging

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from apps.storage.actions import STORED_NAME_RE
from apps.storage.backends import STORAGE_ERRORS, storage_for
from apps.storage.models import StorageConfig

logger = logging.getLogger("arkid.storage")


@require_safe
def media_view(request, name: str):
    if not STORED_NAME_RE.match(name):
        raise Http404
    storage = storage_for(StorageConfig.load())
    try:
        with storage.open(name, "rb") as handle:
            body = handle.read()
    except FileNotFoundError:
        raise Http404 from None
    except STORAGE_ERRORS as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise Http404 from None
        logger.warning("reading %s from the storage failed: %s", name, exc)
        return HttpResponse(status=503)
    response = HttpResponse(body, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # apps show the avatar too
    return response
