"""The provider's HTTP endpoints that differ from DOT's: authorization (the app's access
permission), discovery and JWKS (issuer = ARKID_BASE_URL, RS256 and ES256 keys), and
introspection (``sub`` as everywhere else), userinfo (one statement per call). Token,
revocation, device and end-session endpoints are DOT's own views (see urls.py)."""

from __future__ import annotations

import base64
import calendar
import functools
import hashlib
import re
import time
from urllib.parse import unquote_plus, urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import AccessToken
from oauth2_provider.signals import app_authorized
from oauthlib.oauth2.rfc6749 import errors as oauth2_errors

from apps.accounts.actions import sessions
from apps.core import metrics
from apps.oidc import access, actions, claims, cors, keys, storage, validator
from apps.oidc.models import Application


class AuthorizationView(dot_views.AuthorizationView):
    """DOT's consent flow, and before it, in order: values the grant cannot hold refused
    (``invalid_request``), a fresh sign-in when the app asks for one (``prompt=login``,
    ``max_age``), and a clear page for users without access to the app.

    ``prompt=none`` (OIDC Core 3.1.2.1: no page may be shown) gets its answers on the app's
    redirect URI instead: ``login_required`` without a session (or one older than
    ``max_age``), ``consent_required`` when the consent screen would be needed,
    ``access_denied`` without access to the app."""

    def dispatch(self, request, *args, **kwargs):
        signed_in = validator.authorizing_user.set(request.user)
        try:
            for check in (self._malformed, self._sign_in_again, self._refused):
                answered = check(request)
                if answered is not None:
                    return answered
            return super().dispatch(request, *args, **kwargs)
        finally:
            validator.authorizing_user.reset(signed_in)

    def _malformed(self, request):
        """Values the grant row cannot hold, refused as RFC 6749's ``invalid_request`` instead
        of failing at the INSERT (PostgreSQL enforces column lengths): an S256
        ``code_challenge`` is 43 base64url characters (RFC 7636 4.2), a ``nonce`` at most 255."""
        data = request.GET if request.method == "GET" else request.POST
        challenge, nonce = data.get("code_challenge"), data.get("nonce", "")
        if challenge and not _S256_CHALLENGE.fullmatch(challenge):
            problem = "code_challenge must be 43 base64url characters (S256)."
        elif len(nonce) > NONCE_MAX_LENGTH:
            problem = f"nonce must be at most {NONCE_MAX_LENGTH} characters."
        else:
            return None
        return self._silently(request, functools.partial(oauth2_errors.InvalidRequestError, description=problem))

    def _sign_in_again(self, request):
        """``prompt=login``, or a ``max_age`` older than this session's sign-in (OIDC Core
        3.1.2.1): the login form again, even to a signed-in user (DOT's own prompt=login
        handling sends them to a login page that lets a signed-in user straight through).
        The authorization request resumes without those two parameters, so it cannot loop.
        With ``prompt=none`` there is no form to show: ``login_required``."""
        if request.method != "GET" or not request.user.is_authenticated:
            return None
        prompt = request.GET.get("prompt", "").split()
        if "login" not in prompt and not _older_than_max_age(request):
            return None
        if "none" in prompt:
            return self._silently(request, oauth2_errors.LoginRequired)
        resume = request.GET.copy()
        resume.pop("max_age", None)
        rest = [value for value in prompt if value != "login"]
        if rest:
            resume["prompt"] = " ".join(rest)
        else:
            resume.pop("prompt", None)
        query = {"next": f"{request.path}?{resume.urlencode()}", "reauth": "1"}
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode(query)}")

    def _refused(self, request):
        if not request.user.is_authenticated or request.method not in ("GET", "POST"):
            return None
        data = request.GET if request.method == "GET" else request.POST
        client = Application.objects.select_related("app").filter(client_id=data.get("client_id", "")).first()
        if client is None or access.may_use(request.user, client):
            return None
        actions.record_access_denied(client, request.user)
        if "none" in data.get("prompt", "").split():
            return self._silently(request, oauth2_errors.AccessDeniedError, client)
        return render(request, "oidc/no_access.html", {"app": client.app}, status=403)

    def _silently(self, request, error_class, client=None):
        """``error_class`` on the app's redirect URI, with its ``state``. The request is
        validated first (client, exact redirect URI): an invalid one is an error page, never a
        redirect."""
        try:
            _scopes, credentials = self.validate_authorization_request(request)
            error = error_class(state=credentials.get("state"))
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        except OAuthToolkitError as error:
            return self.error_response(error, client)


_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
NONCE_MAX_LENGTH = 255  # DOT's Grant.nonce column


def _older_than_max_age(request) -> bool:
    """Whether the request's ``max_age`` (seconds, OIDC Core 3.1.2.1) has passed since this
    session's sign-in. A value that is not a whole number of seconds is ignored."""
    max_age = request.GET.get("max_age", "")
    if not (max_age.isascii() and max_age.isdigit()):
        return False
    signed_in_at = sessions.authenticated_at(request)
    return signed_in_at is None or time.time() - signed_in_at > int(max_age)


def _url(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


class DiscoveryView(View):
    """OpenID Provider Metadata, every URL from ARKID_BASE_URL (right behind a proxy)."""

    def get(self, request):
        data = {
            "issuer": settings.BASE_URL,
            "authorization_endpoint": _url("/oauth/authorize/"),
            "token_endpoint": _url("/oauth/token/"),
            "userinfo_endpoint": _url("/oauth/userinfo/"),
            "jwks_uri": _url("/oauth/.well-known/jwks.json"),
            "revocation_endpoint": _url("/oauth/revoke_token/"),
            "introspection_endpoint": _url("/oauth/introspect/"),
            "end_session_endpoint": _url("/oauth/logout/"),
            "device_authorization_endpoint": _url("/oauth/device-authorization/"),
            "scopes_supported": list(claims.SCOPES),
            "response_types_supported": ["code", "token", "id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "password",
                "implicit",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(keys.ALGORITHMS),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", *claims.CLAIM_SCOPES],
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": False,
        }
        response = JsonResponse(data)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class JwksView(View):
    """The active keys and the retired ones whose ID tokens may not have expired yet."""

    def get(self, request):
        response = JsonResponse(keys.jwks())
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response


def _caller_client_id(request) -> str:
    """The client id the (already authenticated) caller used: HTTP Basic or the form."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
        return unquote_plus(decoded.split(":", 1)[0])
    return request.POST.get("client_id", "")


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(dot_views.IntrospectTokenView):
    """RFC 7662 for authenticated clients, with ``sub`` = the user's UUID (as in ID tokens).

    A client learns only about its own tokens: anyone else's answer ``{"active": false}``, so
    one app cannot read who is signed in to another (DOT answers any client about any token).
    """

    def get(self, request, *args, **kwargs):
        return self.introspect(request.GET.get("token"), _caller_client_id(request))

    def post(self, request, *args, **kwargs):
        return self.introspect(request.POST.get("token"), _caller_client_id(request))

    @staticmethod
    def introspect(token_value, caller: str):
        if not token_value:
            missing = {"error": "invalid_request", "error_description": "Token parameter is missing."}
            return JsonResponse(missing, status=400)
        digest = hashlib.sha256(token_value.encode()).hexdigest()
        token = AccessToken.objects.select_related("user", "application").filter(token_checksum=digest).first()
        if token is None or not token.is_valid() or token.application is None or token.application.client_id != caller:
            return JsonResponse({"active": False})
        data = {
            "active": True,
            "scope": token.scope,
            "token_type": "Bearer",
            "exp": int(calendar.timegm(token.expires.timetuple())),
            "client_id": token.application.client_id,
        }
        if token.user:
            data["sub"] = claims.subject(token.user)
            data["username"] = token.user.get_username()
        return JsonResponse(data)


def _bearer_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6750 section 3 error: the code in ``WWW-Authenticate`` and in the body."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    return response


def _bearer_token(request) -> str | None:
    """The access token from ``Authorization: Bearer`` or, on POST, the form body (RFC 6750
    2.1, 2.2). Never from the query string (RFC 9700: URLs end up in logs)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "POST" and not header:
        return request.POST.get("access_token") or None
    return None


class _ExemptOnce:
    """CSRF exemption for a hot endpoint (DOT's ``login_not_required`` kept), applied once to
    the function ``as_view`` returns: ``method_decorator`` on ``dispatch`` rebuilds the
    decorated bound method (a partial and a ``functools.wraps`` per decorator) on every
    request, which the token endpoint, with DOT's two and ours, paid three times."""

    @classmethod
    def as_view(cls, **initkwargs):
        return csrf_exempt(login_not_required(super().as_view(**initkwargs)))

    def dispatch(self, request, *args, **kwargs):
        return View.dispatch(self, request, *args, **kwargs)  # not DOT's decorated one


class UserInfoView(_ExemptOnce, View):
    """OIDC Core 5.3: the claims the access token's scopes release about its user.

    What DOT's view asks of oauthlib, answered with one statement (the token by its SHA-256
    checksum joined to its user) instead of building an oauthlib request and loading the
    token, its client and its user one by one: the token exists, has not expired, carries
    ``openid`` and, when resource-restricted (RFC 8707), names this endpoint; its user is
    active. The client is not read: an ``Application`` has no usability rule of its own (DOT's
    ``is_usable`` is always true), and deleting a client deletes its tokens. Only a browser's
    cross-origin call (an ``Origin`` header) reads the client's allowed origins (apps.oidc.cors).
    """

    def get(self, request, *args, **kwargs):
        return self.userinfo(request)

    def post(self, request, *args, **kwargs):
        return self.userinfo(request)

    def userinfo(self, request):
        # The query string is parsed only when there is one (most calls have none).
        if request.META.get("QUERY_STRING") and "access_token" in request.GET:
            return _bearer_error(400, "invalid_request", "Access tokens are not accepted in the query string.")
        value = _bearer_token(request)
        if value is None:
            return _bearer_error(401, "invalid_token", "No access token.")
        found = storage.access_token_with_user(hashlib.sha256(value.encode()).hexdigest())
        token, user = found if found is not None else (None, None)
        if token is None or token.is_expired() or user is None or not user.is_active:
            return _bearer_error(401, "invalid_token", "The access token is expired, revoked or invalid.")
        return cors.allow_for_client(self.answer(request, token, user), request, pk=token.application_id)

    @staticmethod
    def answer(request, token, user):
        if token.resource and not token.allows_audience(request.build_absolute_uri(request.path)):
            return _bearer_error(401, "invalid_token", "The access token is not valid for this resource.")
        scopes = token.scope.split()
        if "openid" not in scopes:
            return _bearer_error(403, "insufficient_scope", "The access token lacks the openid scope.")
        return JsonResponse(claims.claims_for(user, scopes))

    def options(self, request, *args, **kwargs):
        return cors.preflight(request, "GET, POST")


class RevokeTokenView(dot_views.RevokeTokenView):
    """RFC 7009 as DOT answers it, readable by the calling client's browser pages (CORS)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        return cors.allow_for_client(response, request, client_id=_caller_client_id(request))

    def options(self, request, *args, **kwargs):
        return cors.preflight(request, "POST")


@method_decorator(csrf_exempt, name="dispatch")
class DeviceAuthorizationView(dot_views.DeviceAuthorizationView):
    """DOT 3.4's view with oauthlib 4, which adds a ``scope`` member to the device response
    that DOT's ``DeviceCodeResponse`` does not take (a TypeError, so a 500). DOT stores the
    same scopes itself (the request's, else the defaults)."""

    def create_device_authorization_response(self, request):
        headers, response, status = super().create_device_authorization_response(request)
        if status == 200 and isinstance(response, dict):
            response.pop("scope", None)
        return headers, response, status


DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _token_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 5.2 error answer, not to be cached (as oauthlib's own)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


_GRANT_LABELS = {
    "authorization_code": "authorization_code",
    "refresh_token": "refresh_token",
    "client_credentials": "client_credentials",
    "password": "password",
    DEVICE_CODE_GRANT: "device_code",
}


class TokenView(_ExemptOnce, dot_views.TokenView):
    """DOT's token endpoint in one transaction (the ID token, access and refresh tokens of a
    grant are written together, or not at all: one commit instead of two), and without the
    query that re-reads the token just issued when nobody listens to DOT's
    ``app_authorized`` signal (nobody does in ArkID). The device grant's two answers DOT gets
    wrong (a 500 without ``device_code``, a 404 for an unknown one) are RFC 8628's."""

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type", "")
        if grant_type == DEVICE_CODE_GRANT and not request.POST.get("device_code"):
            # DOT reads the parameter unchecked (a KeyError, so a 500).
            response = _token_error(400, "invalid_request", "Missing device_code parameter.")
        else:
            with transaction.atomic():
                response = super().post(request, *args, **kwargs)
            if grant_type == DEVICE_CODE_GRANT and response.status_code == 404:
                # DOT's 404 "device_not_found" for an unknown code; RFC 8628 3.5 answers
                # with RFC 6749's errors: an invalid grant.
                response = _token_error(400, "invalid_grant", "Unknown device code.")
        # A label from a fixed set: whatever a client sends as grant_type is never a label.
        metrics.token_grant(
            _GRANT_LABELS.get(grant_type, "other"), "success" if response.status_code == 200 else "failure"
        )
        return response

    def options(self, request, *args, **kwargs):
        # oauthlib adds the allowed origin to a successful answer; the preflight is ours.
        return cors.preflight(request, "POST")

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for key, value in headers.items():
            response[key] = value
        return response
