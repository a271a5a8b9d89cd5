"""The API lane: requests to endpoints that machines call, never browsers, skip the browser
middleware (sessions, locale, CSRF, authentication, messages).

The OAuth token, userinfo, introspection and revocation endpoints authenticate every request
by its own credentials (client secret, bearer token), never by a session cookie, are exempt
from CSRF, and answer in a language-independent protocol format. The browser middleware still
cost them as much as a bare view's whole work (bench/bench_oidc.py): a session store lookup
object, a language negotiation, the CSRF and messages machinery, a lazy user.

:class:`ApiLaneMiddleware` sits right after the request context, metrics and NUL middleware
(and SecurityMiddleware's headers, which come earlier). For a path named in
``ARKID_API_LANE_ROUTES`` (URL names, resolved once per process) it calls the view itself, as
Django's handler would, and adds what the skipped middleware would have added to such an
answer (:func:`finish`). ``request.user`` is the anonymous user, so a stray read finds nobody
rather than a crash; nothing on the lane reads it. Exceptions rise to Django's handler as from
any middleware (a 500 answer, ``got_request_exception`` sent). Every other path goes down the
whole stack unchanged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, get_script_prefix, resolve, reverse

logger = logging.getLogger("arkid.core")


def finish(response):
    """The headers the skipped middleware add to every answer: ``Content-Length``
    (CommonMiddleware) and ``X-Frame-Options`` (XFrameOptionsMiddleware). Neither the session
    nor the CSRF middleware adds anything to an answer that used neither."""
    if not response.streaming:
        response.headers.setdefault("Content-Length", str(len(response.content)))
    if not getattr(response, "xframe_options_exempt", False):
        response.headers.setdefault("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper())
    return response


def _path_of(name: str) -> str:
    # reverse() prefixes the script name (a deployment under a sub-path); path_info has none.
    return "/" + reverse(name)[len(get_script_prefix()) :]


class ApiLaneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._routes: dict | None = None

    def _lane(self) -> dict:
        if self._routes is None:
            routes = {}
            for name in settings.ARKID_API_LANE_ROUTES:
                try:
                    path = _path_of(name)
                except NoReverseMatch:
                    # A route not mounted in this URLconf simply takes the normal path.
                    logger.warning("API lane: no URL named %s", name)
                    continue
                routes[path] = resolve(path)
            self._routes = routes
        return self._routes

    def __call__(self, request):
        match = self._lane().get(request.path_info)
        if match is None:
            return self.get_response(request)
        request.resolver_match = match
        request.user = AnonymousUser()
        response = match.func(request, *match.args, **match.kwargs)
        return finish(response)
