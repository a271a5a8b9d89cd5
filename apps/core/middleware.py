from __future__ import annotations

import re
import uuid

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
