"""The token check API apps call on every request (ArkID v1's HTTP protocol):
``GET auth/token/?perm_uid=&app_uid=|oauth_client_id=`` with the user's ``Authorization: Token``.

An app may also ask about a given user with its own OAuth client credentials
(``Authorization: Basic`` of client id and secret, ``?username=<user>&perm_uid=``): the answer
is the same, limited to that app's permissions; naming another app is a 403.

- 401: no token, or a bad, expired or revoked one (the token of an inactive user is bad).
- 200 with the user's profile and ``perms`` when no ``perm_uid`` is given or the user holds it;
  403 with the same body when not, so the app still learns who asked.
- With ``app_uid``, ``perms`` lists only that app's permissions, without the ``app_<uid>_``
  prefix (``access``, ``manage``); ``perm_uid`` may then be given either way.

Results come from the engine at request time (v1 read a table refreshed every 5 minutes): each
permission of the app is one cached ``has_perm``, the app's permission list and the token's
user are cached too (see apps.permissions.cache and apps.accounts.token_cache for how writes
invalidate them). On top, the whole answer about a user for an app is cached
(apps.permissions.answers), checked against the token's entry and the epoch every write
bumps: a repeated check is one cache read and no query, whatever the directory's size.

Apps make this call on every request they serve, so GET is served by a plain Django view
(:func:`token_check`) instead of DRF's stack (request wrapping, negotiation, renderers),
which cost several times the check itself. It gives the same responses as
:class:`TokenCheckView`, which still serves every other method and documents the endpoint.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import unquote_plus

from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from apps.accounts import token_cache
from apps.accounts.authentication import ApiTokenAuthentication, raw_key
from apps.accounts.login_response import user_summary
from apps.accounts.models import digest
from apps.core.exceptions import DomainError
from apps.core.permissions import IsActiveUser, PasswordChangeRequired, enforce_password_change
from apps.permissions import answers, client_apps
from apps.permissions.queries import token_check


class TokenCheckView(APIView):
    # Apps send the user's token; a browser session is not what this endpoint is for.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Check a user's token and, optionally, one permission (for apps)",
        parameters=[
            OpenApiParameter("perm_uid", str, description="Permission to check (full, or relative to app_uid)"),
            OpenApiParameter("app_uid", str, description="Limit perms to this app and strip its prefix"),
            OpenApiParameter("oauth_client_id", str, description="Instead of app_uid: the app of this OAuth client id"),
        ],
        responses={200: dict, 403: dict},
    )
    def get(self, request):
        code, perms = token_check.check(request.user, request.query_params)
        return Response({**user_summary(request.user), "perms": perms}, status=code)


_drf_view = TokenCheckView.as_view()
_authentication = ApiTokenAuthentication()


def _response(body: bytes, status: int, **headers) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = "GET, HEAD, OPTIONS"
    for name, value in headers.items():
        response[name] = value
    return response


def _body(data) -> bytes:
    # As DRF's JSONRenderer writes it (compact, UTF-8).
    return json.dumps(data, cls=JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _json(data, status: int, **headers) -> HttpResponse:
    return _response(_body(data), status, **headers)


def _client_credentials(request) -> tuple[str, str] | None:
    """(client_id, client_secret) of an ``Authorization: Basic`` header (RFC 6749 2.3.1:
    both form-urlencoded before base64), None for another scheme; AuthenticationFailed when
    malformed."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != b"basic":
        return None
    try:
        client_id, _sep, secret = base64.b64decode(header[1], validate=True).decode().partition(":")
    except (IndexError, ValueError, UnicodeError):
        raise exceptions.AuthenticationFailed(_("Invalid basic header.")) from None
    if not _sep or len(header) != 2:
        raise exceptions.AuthenticationFailed(_("Invalid basic header."))
    return unquote_plus(client_id), unquote_plus(secret)


def _perm_uid(request) -> str:
    return (request.GET.get("perm_uid") or "").strip()


def _cached(answer: answers.Answer, request) -> HttpResponse:
    return _response(answer.body, token_check.app_status(answer.results, answer.app_uid, _perm_uid(request)))


def _answer(request, lookup: answers.Lookup, user, user_values, app_uid: str) -> HttpResponse:
    """Compute the answer about ``user`` for the app, keep it for the next checks, respond."""
    results = token_check.app_results(user, app_uid)
    code = token_check.app_status(results, app_uid, _perm_uid(request))
    body = _body({**user_summary(user), "perms": token_check.held_perms(results, app_uid)})
    answers.store(lookup, user_values=user_values, app_uid=app_uid, results=results, body=body)
    return _response(body, code)


def _lookup_for_app(request, credentials: tuple[str, str]) -> answers.Lookup:
    return _made_once(request, lambda: answers.for_app(credentials, request.GET))


def _lookup_for_token(request, raw: str) -> answers.Lookup:
    return _made_once(request, lambda: answers.for_token(digest(raw), request.GET))


def _made_once(request, make) -> answers.Lookup:
    # The fast lane (apps.permissions.api.fast_lane) makes the lookup before the view runs.
    lookup = getattr(request, "arkid_check_lookup", None)
    return lookup if lookup is not None else make()


def cached_response(request) -> HttpResponse | None:
    """The response to a GET of the check when its whole answer is cached, else None (the
    view then computes it, reusing the cache lookup made here)."""
    try:  # a malformed header is the view's to answer (401 with its message)
        credentials = _client_credentials(request)
        raw = None if credentials is not None else raw_key(request)
    except exceptions.AuthenticationFailed:
        return None
    if credentials is not None:
        lookup = _lookup_for_app(request, credentials)
    elif raw is not None:
        lookup = _lookup_for_token(request, raw)
    else:
        return None
    request.arkid_check_lookup = lookup
    if lookup.answer is None:
        return None
    try:
        return _cached(lookup.answer, request)
    except DomainError:  # an unknown perm_uid: the view's 404, with its message
        return None


def _check_for_app(request, credentials: tuple[str, str]) -> HttpResponse:
    """An app asking about a user (``username=``) with its own OAuth client credentials."""
    lookup = _lookup_for_app(request, credentials)
    if lookup.answer is not None:
        return _cached(lookup.answer, request)
    app_uid = client_apps.app_uid_for_credentials(*credentials)
    if app_uid is None:
        raise exceptions.AuthenticationFailed(_("Invalid client credentials."))
    user = token_check.user_for_app(app_uid, request.GET)
    return _answer(request, lookup, user, None, app_uid)


def _check_token(request, raw: str) -> HttpResponse:
    """A user's token check: from the cached answer when there is one that applies."""
    lookup = _lookup_for_token(request, raw)
    if lookup.answer is not None:
        return _cached(lookup.answer, request)
    user = _authentication.authenticate_key_cached(raw)
    enforce_password_change(user, request.method, TokenCheckView)
    app_uid = token_check.app_uid_of(request.GET)
    if not app_uid:  # every permission of the user: not cached as a whole
        code, perms = token_check.check(user, request.GET)
        return _json({**user_summary(user), "perms": perms}, code)
    user_values = lookup.user_values or token_cache.values_of(user)
    return _answer(request, lookup, user, user_values, app_uid)


def _check(request) -> HttpResponse:
    try:
        credentials = _client_credentials(request)
        if credentials is not None:
            return _check_for_app(request, credentials)
        raw = raw_key(request)
        if raw is None:
            raise exceptions.NotAuthenticated()
        return _check_token(request, raw)
    except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed) as exc:
        return _json({"detail": exc.detail}, 401, **{"WWW-Authenticate": _authentication.authenticate_header(request)})
    except PasswordChangeRequired as exc:
        return _json(exc.detail, 403)
    except DomainError as exc:  # as apps.core.exceptions.exception_handler renders it
        body = {exc.field: [exc.message]} if exc.field != "detail" else {"detail": exc.message}
        return _json({**body, "code": exc.code}, exc.status_code)


@csrf_exempt
def token_check_view(request):
    if request.method == "GET":
        return _check(request)
    return _drf_view(request)


# What drf-spectacular looks for to document a URL with TokenCheckView.
token_check_view.cls = TokenCheckView
token_check_view.initkwargs = {}

urlpatterns = [
    path("auth/token/", token_check_view, name="auth-token"),
]


def _token_check_shortcut(request):
    return token_check_view(request)


# The same endpoint for the project's root URLconf, ahead of ``siteapi/``: resolving it
# through the nested includes (siteapi/ -> v1/ -> the permissions app -> here) builds a
# ResolverMatch per level, which costs a noticeable share of a cached check. A plain function
# without ``cls``, so the API schema lists the endpoint once, under its include; the route
# strings are those the includes compose, so metrics keep their labels.
root_urlpatterns = [path(f"siteapi/{prefix}/auth/token/", _token_check_shortcut) for prefix in ("oneid", "v1")]
