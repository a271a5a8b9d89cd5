"""Password login: check the credentials, issue a fresh token, audit both outcomes.

The password check is :func:`apps.accounts.guard.verify_password_attempt` (lockout,
progressive delay, audit of failures, outside any transaction so the audit row survives
the 400 that follows).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actions import mfa
from apps.accounts.actions.tokens import create_token
from apps.accounts.guard import verify_password_attempt
from apps.audit.actions import build_event
from apps.audit.models import Action
from apps.core.exceptions import DomainError


class InvalidCredentials(DomainError):
    """The one error for every failed credential check (unknown user, wrong password,
    inactive account): it never says which part was wrong."""

    def __init__(self):
        super().__init__(_("Invalid username or password."), code="invalid_credentials")


@dataclass(frozen=True)
class LoginResult:
    user: object
    token: str | None  # raw key, returned to the client once; None while a second factor is due
    challenge: dict | None = None  # {"mfa_required": True, "mfa_token": ..., "enrolled": ...}


def login_with_password(identifier: str, password: str, *, request=None, channel: str = "api") -> LoginResult | None:
    """Return the user and a new token, or None (the guard audited the failure). Raises
    :class:`apps.accounts.guard.LockedOut` while the account or client IP must wait."""
    user = verify_password_attempt(identifier, password, channel=channel)
    if user is None:
        return None
    if mfa.mfa_needed(user):
        return LoginResult(user=user, token=None, challenge=mfa.open_challenge(user, channel=channel))
    return LoginResult(user=user, token=_complete_login(user))


def login_with_second_factor(mfa_token: str, code: str) -> tuple[object, str, list[str] | None]:
    """The second step: ``(user, raw token, recovery codes if the user enrolled just now)``."""
    user, recovery = mfa.answer_challenge(mfa_token, code)
    return user, _complete_login(user, via="password+totp"), recovery


@transaction.atomic
def _complete_login(user, *, via: str = "password") -> str:
    now = timezone.now()
    # One UPDATE for both; the token authenticator refreshes last_active_time afterwards.
    get_user_model().objects.filter(pk=user.pk).update(last_active_time=now, last_login=now)
    user.last_active_time = user.last_login = now
    # Both events (login, token) go to the audit log in one INSERT: this is the hot path.
    succeeded = build_event(Action.LOGIN_SUCCEEDED, actor=user, target=user, detail={"via": via})
    return create_token(user, actor=user, also_record=[succeeded])
