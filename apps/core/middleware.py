from __future__ import annotations

import re
import uuid
from urllib.parse import unquote_to_bytes

from django.http import JsonResponse
from django.utils.translation import gettext as _

from apps.core import request_context
from apps.core.client_ip import client_ip

# Accept a caller's request id only if it looks like one; anything else could be used to
# inject text into logs.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.client_ip = client_ip(request.META)
        token = request_context.activate(
            request_context.RequestContext(
                request_id=request.id,
                ip=request.client_ip,
                user_agent=request.headers.get("User-Agent", "")[:512],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RejectNulMiddleware:
    """400 for any request whose path, query string or non-file body carries a NUL character.

    No identity data contains NUL, PostgreSQL text columns refuse it (a 500 deep inside any
    view that did not check), and SQLite would store it and break a later migration. One
    check at the door covers every endpoint. In a multipart body the form fields are checked,
    not the files: an uploaded file may legitimately hold NUL bytes (the CSV import checks its
    cells itself).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            return JsonResponse(
                {"detail": _("Requests may not contain NUL characters."), "code": "nul_character"}, status=400
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return True
        if request.content_type == "multipart/form-data":
            return RejectNulMiddleware._form_has_nul(request)
        body = request.body
        if b"\x00" in body:
            return True
        if request.content_type == "application/x-www-form-urlencoded":
            return b"%00" in body
        return b"\\u0000" in body  # JSON spells NUL as an escape

    @staticmethod
    def _form_has_nul(request) -> bool:
        # Parsing here costs nothing extra: CSRF and the view would parse the body next. A
        # malformed body raises, and Django answers 400 as it would in the view. (Django's
        # parser already drops NUL from uploaded files' names.)
        return any("\x00" in text for name, values in request.POST.lists() for text in [name, *values])
