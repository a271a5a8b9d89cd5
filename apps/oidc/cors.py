"""CORS for browser-based clients: single-page apps, public clients with PKCE.

A browser lets a page read another origin's answer only when the answer names the page's
origin (``Access-Control-Allow-Origin``), and asks first (a preflight ``OPTIONS``) before
sending a request with an ``Authorization`` header. Each client lists the origins its pages
are served from (``oauth_app.allowed_origins``, kept in DOT's ``Application.allowed_origins``):

- token endpoint: oauthlib adds the header to a successful code exchange or refresh whose
  client allows the request's ``Origin`` (DOT's validator); a preflight is answered here for
  an origin that some client allows (a preflight names no client);
- userinfo: the answer names the ``Origin`` when the access token's client allows it;
- revocation (RFC 7009 asks for CORS there): the answer names the ``Origin`` when the
  calling client allows it (a browser app revokes its tokens when its user signs out);
- their preflights are answered like the token endpoint's.

Never in credentials mode (no ``Access-Control-Allow-Credentials``): these endpoints take
tokens, not cookies, so a page can only use what it already holds.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from oauth2_provider.models import is_origin_allowed

from apps.oidc.models import Application

PREFLIGHT_MAX_AGE = "600"  # seconds a browser may reuse a preflight's answer
_CANDIDATES = 20  # clients whose origin lists mention an origin, checked exactly


def _origin(request) -> str:
    return request.META.get("HTTP_ORIGIN", "")


def some_client_allows(origin: str) -> bool:
    if not origin:
        return False
    # The substring filter narrows the search; is_origin_allowed decides on scheme and host.
    lists = Application.objects.filter(allowed_origins__icontains=origin).values_list("allowed_origins", flat=True)
    return any(is_origin_allowed(origin, allowed.split()) for allowed in lists[:_CANDIDATES])


def preflight(request, methods: str) -> HttpResponse:
    """The answer to ``OPTIONS``: what the browser may send from an allowed origin."""
    response = HttpResponse(status=204)
    response["Allow"] = f"{methods}, OPTIONS"
    origin = _origin(request)
    if some_client_allows(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = methods
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    if origin:
        patch_vary_headers(response, ("Origin",))
    return response


def allow_for_client(response, request, **client):
    """Name the request's origin on ``response`` when the client (``pk=`` or ``client_id=``)
    allows it."""
    origin = _origin(request)
    if not origin:
        return response
    allowed = Application.objects.filter(**client).values_list("allowed_origins", flat=True).first()
    if allowed and is_origin_allowed(origin, allowed.split()):
        response["Access-Control-Allow-Origin"] = origin
        # RFC 6750 errors are in this header; a page reads it only when exposed.
        response["Access-Control-Expose-Headers"] = "WWW-Authenticate"
    patch_vary_headers(response, ("Origin",))
    return response
