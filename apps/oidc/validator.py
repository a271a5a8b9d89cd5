"""ArkID's adapter over DOT's request validator: what DOT does not decide for us.

- who may get a token: the app's access permission (apps.permissions), for every grant that
  names a user (authorization code, password, device code, refresh);
- password grant: the account's own lookup and password check (apps.accounts), failures
  audited as login failures;
- PKCE: required for public clients, optional for confidential ones;
- claims: ``sub`` is the user's UUID, claims per scope from :mod:`apps.oidc.claims`;
- ID tokens: signed with the key of the client's algorithm (RS256 or ES256) with its ``kid``;
- authorization code replay: the tokens issued from the code are revoked (RFC 6749 4.1.2).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import time
import uuid
from contextvars import ContextVar
from urllib.parse import parse_qs, unquote_plus, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from oauth2_provider.models import (
    AccessToken,
    DeviceGrant,
    Grant,
    IDToken,
    RefreshToken,
    refresh_token_expire_timedelta,
    revoke_access_token,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types.device_code import DeviceCodeGrant

from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.oidc import access, claims, clients, keys, storage
from apps.oidc.models import Application, RedeemedCode


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _may_use(user, client, request) -> bool:
    """:func:`access.may_use`, asked once per token request (several hooks want to know)."""
    memo = getattr(request, "arkid_access", None)
    if memo is None or memo[0] != (user.pk, client.pk):
        memo = request.arkid_access = ((user.pk, client.pk), access.may_use(user, client))
    return memo[1]


_CLIENT_TTL = 60.0  # seconds
_clients: dict[int, tuple[float, Application]] = {}


def _client_for_bearer(client_id: int):
    """The client of a bearer token, cached per process for a minute. Only bearer checks use
    it, and they need nothing of a client that may change: deleting a client deletes its
    tokens, so the token lookup fails before this cache is read."""
    cached = _clients.get(client_id)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    client = storage.fetch_one(Application, "id", client_id)
    if client is not None:
        if len(_clients) > 1000:
            _clients.clear()
        _clients[client_id] = (now + _CLIENT_TTL, client)
    return client


# Who is signed in for the authorization request being validated (set by
# apps.oidc.views.AuthorizationView): oauthlib asks whether a silent sign-in (prompt=none) can
# proceed while validating, before DOT hands it the user.
authorizing_user: ContextVar = ContextVar("authorizing_user", default=None)


class ArkidValidator(OAuth2Validator):
    # Scope releasing each claim; ``sub`` goes out under any scope.
    oidc_claim_scope = {**claims.CLAIM_SCOPES, "sub": None}

    def _load_application(self, client_id, request):
        """DOT's lookup by client id, from the client cache (every token request makes it;
        CIMD, the only other thing DOT's version does, is off in ArkID)."""
        client = request.client
        if isinstance(client, Application) and client.client_id == client_id:
            return client
        request.client = clients.by_client_id(client_id)
        return request.client

    def _load_access_token(self, token):
        # A bearer token check (userinfo, protected resources) is one indexed lookup; the
        # compiled three-table join DOT makes cost several times more than running it.
        found = storage.fetch_one(AccessToken, "token_checksum", hashlib.sha256(token.encode()).hexdigest())
        if found is None:
            return None
        # The two rows DOT's select_related would have joined, cached on the token.
        client = _client_for_bearer(found.application_id) if found.application_id else None
        user = storage.fetch_one(get_user_model(), "id", found.user_id) if found.user_id else None
        AccessToken._meta.get_field("application").set_cached_value(found, client)
        AccessToken._meta.get_field("user").set_cached_value(found, user)
        return found

    # --- who may get a token --------------------------------------------------------
    def is_pkce_required(self, client_id, request):
        client = request.client
        if client is None or client.client_id != client_id:
            client = self._load_application(client_id, request)
        return client is None or client.client_type == client.CLIENT_PUBLIC

    def validate_user(self, username, password, client, request, *args, **kwargs):
        # The accounts guard: the same lockout and audit as every other password entry point,
        # and an unknown user costs a hash too (no enumeration by timing).
        from apps.accounts import guard

        try:
            user = guard.verify_password_attempt(username or "", password or "", channel="oauth")
        except guard.LockedOut as exc:
            raise errors.CustomOAuth2Error(
                error="invalid_grant",
                description=f"Too many failed attempts; try again in {exc.retry_after} seconds.",
                request=request,
            ) from exc
        if user is None:
            return False
        if not _may_use(user, client, request):
            raise errors.AccessDeniedError(description="You may not use this application.", request=request)
        request.user = user
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """DOT's check of a live refresh token, reading the token, its access token and its
        user in one statement instead of DOT's three compiled queries. A revoked token (reuse:
        the whole family is revoked) takes DOT's own path."""
        rt = storage.refresh_token_for_grant(hashlib.sha256(refresh_token.encode()).hexdigest())
        if rt is None:
            return False
        if rt.revoked is not None:
            if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
                return False
            return _may_use(request.user, client, request)
        access_token = _joined(rt, "access_token")
        if access_token is None:
            return False  # an orphan: nothing left to refresh against (DOT: the same)
        expire_delta = refresh_token_expire_timedelta()
        if expire_delta and access_token.expires + expire_delta <= timezone.now():
            return False
        user = _joined(rt, "user")
        request.user = user
        request.refresh_token = refresh_token
        request.refresh_token_instance = rt
        if client is None or rt.application_id != client.pk:
            return False
        # Access taken away since the token was issued: no new tokens.
        return _may_use(user, client, request)

    def authenticate_client(self, request, *args, **kwargs):
        """DOT's check of a confidential client's credentials; a refusal is audited like a
        failed login (who tried which client id, from where)."""
        if super().authenticate_client(request, *args, **kwargs):
            return True
        presented = _presented_client_id(request)
        if presented:
            record_event(
                Action.OAUTH_CLIENT_AUTH_FAILED,
                target_type="oidc.application",
                target_name=presented[:255],
                detail={"client_id": presented[:100], "grant_type": request.grant_type or ""},
                outcome=Outcome.FAILURE,
            )
        return False

    def save_bearer_token(self, token, request, *args, **kwargs):
        # The last gate every grant that names a user passes (device code included, whose
        # user approved on a page that does not know the app's permissions).
        user = getattr(request, "user", None)
        if (
            request.grant_type != "client_credentials"
            and user is not None
            and not _may_use(user, request.client, request)
        ):
            raise errors.AccessDeniedError(description="You may not use this application.", request=request)
        # DOT opens a transaction here; the token endpoint already runs in one (TokenView),
        # where a savepoint would only add two statements.
        with _atomic_unless_in_one():
            saved = self._save_bearer_token(token, request, *args, **kwargs)
            _audit_issued(token, request, user)
            return saved

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """DOT's, with the rotation of a live refresh token in four statements (DOT's
        ``revoke()`` path takes nine). Anything else, including a token a concurrent request
        rotated or revoked first, takes DOT's own path."""
        previous = getattr(request, "refresh_token_instance", None)
        if not (
            "scope" in token
            and token.get("refresh_token")
            and isinstance(previous, RefreshToken)
            and self.rotate_refresh_token(request)
        ):
            return super()._save_bearer_token(token, request, *args, **kwargs)
        locked = storage.lock_for_rotation(previous.pk)
        if locked is None or locked[0] is not None or locked[2]:
            return super()._save_bearer_token(token, request, *args, **kwargs)
        self._check_and_set_request_resource(request)
        now = timezone.now()
        storage.revoke_for_rotation(previous.pk, locked[1], now)
        request.refresh_token_instance = None  # as DOT does once the old token is revoked
        expires = now + dt.timedelta(seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS))
        access_token = self._create_access_token(expires, request, token, source_refresh_token=previous)
        self._create_refresh_token(request, token["refresh_token"], access_token, previous)
        return None

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        """oauthlib 4 asks the validator (DOT 3.4 predates that). An approved device code is
        consumed here, atomically: polling again after success gets no second token."""
        grant = DeviceGrant.objects.filter(device_code=code, client_id=client_id).first()
        if grant is None:
            return None
        if grant.status == grant.AUTHORIZED and grant.expires > timezone.now():
            consumed = DeviceGrant.objects.filter(pk=grant.pk, status=grant.AUTHORIZED).update(status=grant.EXPIRED)
            if consumed:
                request.user = grant.user
                request.scopes = grant.scope.split()
                return DeviceCodeGrant.DEVICE_CODE_AUTHORIZED
            return DeviceCodeGrant.DEVICE_CODE_EXPIRED
        statuses = {
            grant.AUTHORIZATION_PENDING: DeviceCodeGrant.DEVICE_CODE_PENDING,
            grant.DENIED: DeviceCodeGrant.DEVICE_CODE_DENIED,
        }
        return statuses.get(grant.status, DeviceCodeGrant.DEVICE_CODE_EXPIRED)

    # --- authorization codes: replay revokes what the code produced -----------------
    # DOT reads the authorization code's row once per question oauthlib asks (scopes,
    # validity, redirect URI, PKCE challenge and method, nonce): six queries for one row.
    # These read it once per request instead.
    def _grant(self, code, request):
        memo = getattr(request, "arkid_grant", None)
        if memo is None or memo[0] != code:
            grant = storage.fetch_joined(Grant, "code", code, ("user",)) if code else None
            memo = request.arkid_grant = (code, grant)
        return memo[1]

    def _client_grant(self, code, client, request):
        grant = self._grant(code, request)
        return grant if grant is not None and client is not None and grant.application_id == client.pk else None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request=None, *args, **kwargs):
        if request is None:
            return super().confirm_redirect_uri(client_id, code, redirect_uri, client, *args, **kwargs)
        grant = self._client_grant(code, client, request)
        return grant is not None and grant.redirect_uri_allowed(redirect_uri)

    def get_code_challenge(self, code, request):
        grant = self._client_grant(code, request.client, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code, request):
        grant = self._client_grant(code, request.client, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant else None

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return grant.scope.split() if grant and grant.scope else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self._client_grant(code, client, request)
        if grant is not None and not grant.is_expired():
            request.scopes = grant.scope.split(" ")
            request.user = grant.user
            if grant.nonce:
                request.nonce = grant.nonce
            if grant.claims:
                request.claims = json.loads(grant.claims)
            return _may_use(request.user, client, request)
        if grant is not None:
            return False  # expired
        replay = RedeemedCode.objects.filter(code_digest=code_digest(code), application=client).first()
        if replay is not None:
            from apps.oidc import actions

            _revoke_issued(replay.access_token_id, replay.token_family)
            actions.record_code_replay(client)
        return False

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT re-parses and re-verifies the ID token it has just signed to find its row;
        # finalize_id_token below keeps the row on the request instead.
        id_token = getattr(request, "id_token", None) if token.get("id_token") else None
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        storage.insert(access_token)
        request.arkid_access_token_id = access_token.pk
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=previous_refresh_token.token_family if previous_refresh_token else uuid.uuid4(),
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(refresh, refresh_token_code)
        storage.insert(refresh)
        request.arkid_token_family = refresh.token_family
        return refresh

    def _check_and_set_request_resource(self, request):
        """DOT's RFC 8707 handling, with the authorization code read once per request (DOT
        reads the grant again here)."""
        if request.grant_type != "authorization_code":
            return super()._check_and_set_request_resource(request)
        code = request.code
        grant = self._client_grant(code, request.client, request)
        request.grant_type = "arkid:no-grant-lookup"  # DOT's checks without its grant query
        try:
            super()._check_and_set_request_resource(request)
        finally:
            request.grant_type = "authorization_code"
        granted = (grant.resource or []) if grant else []
        if request.resource and granted:
            for res in request.resource:
                if res not in granted:
                    raise errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=(
                            f"The requested resource '{res}' is not allowed. Token request cannot "
                            "escalate resource permissions beyond the original authorization grant"
                        ),
                        request=request,
                    )
        elif granted:
            self._validate_resource_uris(request, granted)
            request.resource = granted
        return None

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        issued = getattr(request, "arkid_access_token_id", None), getattr(request, "arkid_token_family", None)
        with _atomic_unless_in_one():
            if not storage.delete_grant(code, request.client.pk):
                # A concurrent request redeemed the same code first: a replay.
                _revoke_issued(*issued)
                raise errors.InvalidGrantError(request=request)
            lifetime = max(oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS, 60)
            redeemed = RedeemedCode(
                code_digest=code_digest(code),
                application=request.client,
                access_token_id=issued[0],
                token_family=issued[1],
                expires=timezone.now() + dt.timedelta(seconds=lifetime * 10),
            )
            storage.insert(redeemed)

    # --- claims and ID tokens ---------------------------------------------------------
    def validate_silent_login(self, request) -> bool:
        """OIDC Core 3.1.2.1, ``prompt=none``: someone is signed in. Without a session the
        answer is ``login_required`` on the app's redirect URI (DOT's handle_no_permission
        validates the client and redirect URI first), never the login page."""
        user = authorizing_user.get()
        return user is not None and user.is_authenticated

    def validate_silent_authorization(self, request) -> bool:
        """``prompt=none``: no consent screen would be shown, exactly when DOT's view skips
        it: a trusted app (``skip_authorization``), or ``approval_prompt=auto`` with a live
        token of this user and app covering the scopes. Otherwise ``consent_required``."""
        client = request.client
        if client.skip_authorization:
            return True
        asked = parse_qs(urlsplit(request.uri).query).get("approval_prompt", [oauth2_settings.REQUEST_APPROVAL_PROMPT])
        user = authorizing_user.get()
        if asked[-1] != "auto" or user is None or not user.is_authenticated:
            return False
        live = AccessToken.objects.filter(user=user, application=client, expires__gt=timezone.now())
        return any(token.allow_scopes(request.scopes) for token in live)

    def get_oidc_issuer_endpoint(self, request):
        return settings.BASE_URL

    def get_discovery_claims(self, request):
        return ["sub", *claims.CLAIM_SCOPES]

    def get_oidc_claims(self, token, token_handler, request):
        return claims.claims_for(request.user, request.scopes)

    def get_userinfo_claims(self, request):
        return claims.claims_for(request.user, request.scopes)

    def finalize_id_token(self, id_token, token, token_handler, request):
        data, expires = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**data)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        signed = keys.sign(keys.active_key(request.client.algorithm), id_token)
        saved = self._save_id_token(id_token["jti"], request, expires)
        request.access_token = saved
        request.id_token = saved
        return signed

    def _save_id_token(self, jti, request, expires, *args, **kwargs):
        id_token = IDToken(
            user=request.user,
            scope=request.scope or " ".join(request.scopes),
            expires=expires,
            jti=jti,
            application=request.client,
        )
        storage.insert(id_token)
        return id_token

    def _get_key_for_token(self, token):
        """The published key named by the token's ``kid`` (ID token hints at end_session)."""
        from jwcrypto import jws

        parsed = jws.JWS()
        parsed.deserialize(token)
        kid = parsed.jose_header.get("kid")
        loaded = keys.key_by_kid(kid) if kid else None
        return loaded.jwk if loaded else None


def _joined(instance, relation: str):
    """A related row storage.fetch_joined read (None when it was missing), without the
    descriptor's query or its DoesNotExist."""
    return instance._meta.get_field(relation).get_cached_value(instance, default=None)


def _presented_client_id(request) -> str:
    """The client id a failed request named: in the body, or in HTTP Basic credentials."""
    if request.client_id:
        return str(request.client_id)
    header = (request.headers or {}).get("HTTP_AUTHORIZATION") or (request.headers or {}).get("Authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return unquote_plus(base64.b64decode(encoded, validate=True).decode().partition(":")[0])
    except (ValueError, UnicodeDecodeError):
        return ""


def _audit_issued(token, request, user) -> None:
    """Every grant is an authentication (of the client, and of the user it names): one event
    in the token's own transaction, so an event exists exactly when the tokens do."""
    client = request.client
    record_event(
        Action.OAUTH_TOKEN_ISSUED,
        actor=user if request.grant_type != "client_credentials" else None,
        actor_name="" if user is not None and request.grant_type != "client_credentials" else client.client_id,
        target_type="oidc.application",
        target_id=str(client.pk),
        target_name=client.name,
        detail={
            "grant_type": request.grant_type or "",
            "client_id": client.client_id,
            "scope": token.get("scope", ""),
            "refresh_token": bool(token.get("refresh_token")),
        },
    )


def _atomic_unless_in_one():
    """A transaction, unless the caller (the token endpoint) already runs in one."""
    return contextlib.nullcontext() if connection.in_atomic_block else transaction.atomic()


def _revoke_issued(access_token_id, token_family) -> None:
    """Revoke the access token and refresh token family issued from one authorization code."""
    if token_family:
        RefreshToken.revoke_family(token_family)
    if access_token_id:
        for token in AccessToken.objects.filter(pk=access_token_id):
            revoke_access_token(token)
