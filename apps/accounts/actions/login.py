"""Password login: check the credentials, issue a fresh token, audit both outcomes.

Failures are recorded outside any transaction, so the audit row survives the 400 that
follows. Brute-force lockout and MFA plug in at the two marked points: a lockout check
before :func:`django.contrib.auth.authenticate` (refusing without hashing), and a second
factor between a successful password check and token issue (returning a challenge
instead of a token).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actions.tokens import create_token
from apps.accounts.backends import find_login_user
from apps.audit.actions import build_event, record_event
from apps.audit.models import Action, Outcome
from apps.core.exceptions import DomainError


class InvalidCredentials(DomainError):
    """The one error for every failed credential check (unknown user, wrong password,
    inactive account): it never says which part was wrong."""

    def __init__(self):
        super().__init__(_("Invalid username or password."), code="invalid_credentials")


# Audit detail keeps at most this much of what the client typed as its identifier.
IDENTIFIER_MAX = 254


@dataclass(frozen=True)
class LoginResult:
    user: object
    token: str  # raw key, returned to the client once


def audited_identifier(identifier: str, user) -> str:
    """What the audit log keeps of a failed login's identifier.

    Typed text that names no account is often a password entered in the wrong box, so it is
    kept only as a keyed fingerprint: repeated attempts with the same text still correlate,
    but the text itself is never stored.
    """
    if user is not None:
        return identifier[:IDENTIFIER_MAX]
    mac = hmac.new(settings.SECRET_KEY.encode(), identifier.encode(), hashlib.sha256).hexdigest()
    return f"unknown:{mac[:16]}"


def failure_reason(identifier: str) -> tuple[str, object | None]:
    """Why a login failed, for the audit log only (the client always gets the same error)."""
    user = find_login_user(identifier)
    if user is None:
        return "unknown_user", None
    if not user.is_active:
        return "inactive", user
    return "bad_password", user


def record_login_failure(identifier: str, *, action: Action = Action.LOGIN_FAILED, via: str = "password") -> None:
    reason, user = failure_reason(identifier)
    record_event(
        action,
        actor=None,
        target=user,
        detail={"identifier": audited_identifier(identifier, user), "reason": reason, "via": via},
        outcome=Outcome.FAILURE,
    )


def login_with_password(identifier: str, password: str, *, request=None) -> LoginResult | None:
    """Return the user and a new token, or None (after auditing the failure)."""
    # Lockout hook: refuse here, before authenticate(), once throttling exists.
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        record_login_failure(identifier)
        return None
    # MFA hook: a second factor goes here, before any token exists.
    return LoginResult(user=user, token=_complete_login(user))


@transaction.atomic
def _complete_login(user) -> str:
    now = timezone.now()
    # One UPDATE for both; the token authenticator refreshes last_active_time afterwards.
    get_user_model().objects.filter(pk=user.pk).update(last_active_time=now, last_login=now)
    user.last_active_time = user.last_login = now
    # Both events (login, token) go to the audit log in one INSERT: this is the hot path.
    succeeded = build_event(Action.LOGIN_SUCCEEDED, actor=user, target=user, detail={"via": "password"})
    return create_token(user, actor=user, also_record=[succeeded])
