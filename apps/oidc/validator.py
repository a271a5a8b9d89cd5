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

import datetime as dt
import hashlib
import json
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, DeviceGrant, Grant, RefreshToken, revoke_access_token
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types.device_code import DeviceCodeGrant

from apps.oidc import access, claims, keys
from apps.oidc.models import Application, RedeemedCode


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _may_use(user, client, request) -> bool:
    """:func:`access.may_use`, asked once per token request (several hooks want to know)."""
    memo = getattr(request, "arkid_access", None)
    if memo is None or memo[0] != (user.pk, client.pk):
        memo = request.arkid_access = ((user.pk, client.pk), access.may_use(user, client))
    return memo[1]


def _by_column(model, column: str):
    """``SELECT * FROM <model's table> WHERE <column> = %s`` as a raw queryset factory.

    A bearer token check (userinfo, protected resources) is one indexed lookup, yet compiling
    DOT's three-table ORM query costs several times more than running it (measured by
    bench/bench_oidc.py). Raw querysets skip the compiler and still apply the fields'
    converters (UUIDs, datetimes), so the instances are the ORM's own.
    """
    qn = connection.ops.quote_name
    sql = f"SELECT * FROM {qn(model._meta.db_table)} WHERE {qn(column)} = %s"  # noqa: S608 - names from _meta

    def fetch(value):
        rows = list(model.objects.raw(sql, [value]))
        return rows[0] if rows else None

    return fetch


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
    client = _by_column(Application, "id")(client_id)
    if client is not None:
        if len(_clients) > 1000:
            _clients.clear()
        _clients[client_id] = (now + _CLIENT_TTL, client)
    return client


class ArkidValidator(OAuth2Validator):
    # Scope releasing each claim; ``sub`` goes out under any scope.
    oidc_claim_scope = {**claims.CLAIM_SCOPES, "sub": None}

    def _load_application(self, client_id, request):
        """DOT's lookup by client id, as a raw query (every token request makes it; CIMD,
        the only other thing DOT's version does, is off in ArkID)."""
        client = request.client
        if isinstance(client, Application) and client.client_id == client_id:
            return client
        if not client_id or "\x00" in client_id:
            return None
        request.client = _by_column(Application, "client_id")(client_id)
        return request.client

    def _load_access_token(self, token):
        found = _by_column(AccessToken, "token_checksum")(hashlib.sha256(token.encode()).hexdigest())
        if found is None:
            return None
        # The two rows DOT's select_related would have joined, cached on the token.
        client = _client_for_bearer(found.application_id) if found.application_id else None
        user = _by_column(get_user_model(), "id")(found.user_id) if found.user_id else None
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
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        # Access taken away since the token was issued: no new tokens.
        return _may_use(request.user, client, request)

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
        return super().save_bearer_token(token, request, *args, **kwargs)

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
            grant = Grant.objects.select_related("user").filter(code=code).first()
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
        access_token.save()
        request.arkid_access_token_id = access_token.pk
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh = super()._create_refresh_token(request, refresh_token_code, access_token, previous_refresh_token)
        request.arkid_token_family = refresh.token_family
        return refresh

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        issued = getattr(request, "arkid_access_token_id", None), getattr(request, "arkid_token_family", None)
        with transaction.atomic():
            deleted, _ = Grant.objects.filter(code=code, application=request.client).delete()
            if not deleted:
                # A concurrent request redeemed the same code first: a replay.
                _revoke_issued(*issued)
                raise errors.InvalidGrantError(request=request)
            lifetime = max(oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS, 60)
            RedeemedCode.objects.create(
                code_digest=code_digest(code),
                application=request.client,
                access_token_id=issued[0],
                token_family=issued[1],
                expires=timezone.now() + dt.timedelta(seconds=lifetime * 10),
            )

    # --- claims and ID tokens ---------------------------------------------------------
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
        key = keys.active_key(request.client.algorithm)
        header = {"typ": "JWT", "alg": key.algorithm, "kid": key.kid}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key.jwk)
        with transaction.atomic():
            saved = self._save_id_token(id_token["jti"], request, expires)
        request.access_token = saved
        request.id_token = saved
        return signed.serialize()

    def _get_key_for_token(self, token):
        """The published key named by the token's ``kid`` (ID token hints at end_session)."""
        from jwcrypto import jws

        parsed = jws.JWS()
        parsed.deserialize(token)
        kid = parsed.jose_header.get("kid")
        loaded = keys.key_by_kid(kid) if kid else None
        return loaded.jwk if loaded else None


def _revoke_issued(access_token_id, token_family) -> None:
    """Revoke the access token and refresh token family issued from one authorization code."""
    if token_family:
        RefreshToken.revoke_family(token_family)
    if access_token_id:
        for token in AccessToken.objects.filter(pk=access_token_id):
            revoke_access_token(token)
