"""DOT's bridge to oauthlib (``OAUTH2_BACKEND_CLASS``), handing oauthlib the request's headers
rather than its whole WSGI environ.

DOT passes a copy of ``request.META`` as the oauthlib request's headers; oauthlib then
re-encodes and case-folds every entry (the server's CGI variables, ``wsgi.*``, gunicorn's)
into its own dict, which cost about a tenth of a client credentials grant's own time
(bench/bench_oidc.py). What DOT and oauthlib read there are HTTP headers (Authorization,
Content-Type, Origin and their ``HTTP_`` spellings) and, to build an absolute URL, the host;
those are kept, and DOT's own ``extract_headers`` still does the aliasing.
"""

from __future__ import annotations

from oauth2_provider import oauth2_backends

# Not HTTP headers, but what a URL or body check may read: the server's name and port, and
# the body's type and length.
_CGI_KEPT = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT"})


class _HeadersOnly:
    """What DOT's ``extract_headers`` reads of a request (``META``, ``is_secure()``), with
    ``META`` cut down to the HTTP headers and :data:`_CGI_KEPT`."""

    def __init__(self, request):
        self.META = {k: v for k, v in request.META.items() if k.startswith("HTTP_") or k in _CGI_KEPT}
        self.is_secure = request.is_secure


class OAuthLibCore(oauth2_backends.OAuthLibCore):
    def extract_headers(self, request):
        return super().extract_headers(_HeadersOnly(request))
