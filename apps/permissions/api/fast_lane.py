"""The token check's fast lane: a GET of ``auth/token/`` whose whole answer is cached is
answered right after the request context, metrics and NUL middleware, skipping the browser
middleware (sessions, locale, CSRF, authentication, messages) that the check never uses.

Apps call the check on every request they serve, and a cached answer costs one cache read;
the skipped middleware cost about as much again. Nothing else changes: the response is the
view's (apps.permissions.api.check.cached_response builds it), with the headers the skipped
middleware would have added (``Vary: Accept-Language``, ``Content-Language``, and
``Content-Length`` and ``X-Frame-Options`` by apps.core.lanes.finish), and the request is
counted under the check's route. Every other request, and a check whose answer is not cached
(first call, errors, after a change), goes down the normal stack, where the view reuses the
cache lookup made here.
"""

from __future__ import annotations

from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

from apps.core import lanes
from apps.permissions.api import check

PATHS = frozenset(f"/siteapi/{prefix}/auth/token/" for prefix in ("oneid", "v1"))


class TokenCheckFastLane:
    def __init__(self, get_response):
        self.get_response = get_response
        self._matches: dict[str, object] = {}

    def __call__(self, request):
        if request.method == "GET" and request.path_info in PATHS:
            response = check.cached_response(request)
            if response is not None:
                request.resolver_match = self._match(request.path_info)
                return self._as_skipped_middleware_would(request, response)
        return self.get_response(request)

    def _match(self, path: str):
        # Resolved once per path (the metrics middleware labels requests by its route).
        if path not in self._matches:
            try:
                self._matches[path] = resolve(path)
            except Resolver404:
                self._matches[path] = None
        return self._matches[path]

    @staticmethod
    def _as_skipped_middleware_would(request, response):
        # LocaleMiddleware: the negotiated language, and that the answer may vary with it.
        language = translation.get_language_from_request(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return lanes.finish(response)
