"""``Authorization: Token <key>``: ArkID v1's header, backed by hashed, expiring, per-login tokens."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from apps.accounts import token_cache
from apps.accounts.models import ApiToken, digest
from apps.core.permissions import enforce_password_change

# Writing last-used times on every request would turn each read into a write; once per
# window is enough for "last active" displays and token lists.
TOUCH_INTERVAL = dt.timedelta(minutes=5)


def raw_key(request) -> str | None:
    """The raw key of an ``Authorization: Token <key>`` header; None without one (another
    scheme or no header), AuthenticationFailed when malformed."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != ApiTokenAuthentication.keyword.encode():
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(_("Invalid token header."))
    try:
        return header[1].decode()
    except UnicodeError:
        raise exceptions.AuthenticationFailed(_("Invalid token header.")) from None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "token"

    def authenticate(self, request):
        raw = raw_key(request)
        if raw is None:
            return None
        user, token = self.authenticate_key(raw)
        self._hold_for_password_change(request, user)
        return user, token

    def authenticate_key(self, raw: str):
        return self._authenticate_digest(digest(raw))

    def _authenticate_digest(self, key_digest: str):
        token = ApiToken.objects.select_related("user").filter(key_digest=key_digest).first()
        if token is None or not token.is_valid or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        self._touch(token)
        return token.user, token

    def authenticate_key_cached(self, raw: str):
        """The token's user, through :mod:`apps.accounts.token_cache` (for the token check API
        only: the user holds just the fields the check reads, see there)."""
        key_digest = digest(raw)
        user, may_store = token_cache.load(key_digest)
        if user is None:
            user, token = self._authenticate_digest(key_digest)
            if may_store:
                token_cache.store(key_digest, token.expires, user)
        return user

    @staticmethod
    def _hold_for_password_change(request, user) -> None:
        """The forced password change, enforced for every view a token reaches, including
        views whose permission classes (e.g. AllowAny) do not check it themselves."""
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is not None and user.must_reset_password:
            enforce_password_change(user, request.method, view)

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used is None or now - token.last_used > TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
            type(token.user).objects.filter(pk=token.user_id).update(last_active_time=now)
            token.last_used = now

    def authenticate_header(self, request):
        return "Token"
