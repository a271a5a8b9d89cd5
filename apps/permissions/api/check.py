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
invalidate them), so a repeated check makes no query, whatever the directory's size.

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

from apps.accounts.authentication import ApiTokenAuthentication, raw_key
from apps.accounts.login_response import user_summary
from apps.core.exceptions import DomainError
from apps.core.permissions import IsActiveUser, PasswordChangeRequired, enforce_password_change
from apps.permissions import client_apps
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


def _json(data, status: int, **headers) -> HttpResponse:
    # As DRF's JSONRenderer writes it (compact, UTF-8), with the headers its views add.
    body = json.dumps(data, cls=JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    response = HttpResponse(body.encode(), status=status, content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = "GET, HEAD, OPTIONS"
    for name, value in headers.items():
        response[name] = value
    return response


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


def _check_for_app(request, credentials: tuple[str, str]) -> tuple[object, int, list[str]]:
    """An app asking about a user (``username=``) with its own OAuth client credentials."""
    app_uid = client_apps.app_uid_for_credentials(*credentials)
    if app_uid is None:
        raise exceptions.AuthenticationFailed(_("Invalid client credentials."))
    return token_check.check_for_app(app_uid, request.GET)


def _check(request) -> HttpResponse:
    try:
        credentials = _client_credentials(request)
        if credentials is not None:
            user, code, perms = _check_for_app(request, credentials)
            return _json({**user_summary(user), "perms": perms}, code)
        raw = raw_key(request)
        if raw is None:
            raise exceptions.NotAuthenticated()
        user = _authentication.authenticate_key_cached(raw)
        enforce_password_change(user, request.method, TokenCheckView)
        code, perms = token_check.check(user, request.GET)
    except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed) as exc:
        return _json({"detail": exc.detail}, 401, **{"WWW-Authenticate": _authentication.authenticate_header(request)})
    except PasswordChangeRequired as exc:
        return _json(exc.detail, 403)
    except DomainError as exc:  # as apps.core.exceptions.exception_handler renders it
        body = {exc.field: [exc.message]} if exc.field != "detail" else {"detail": exc.message}
        return _json({**body, "code": exc.code}, exc.status_code)
    return _json({**user_summary(user), "perms": perms}, code)


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
