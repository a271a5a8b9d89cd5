"""A user changing their own password, logged in or with v1's ``{username, old_password}``.

The old password is checked like a login (the brute-force guard, same generic error,
failures audited), so the unauthenticated variant is no better an oracle than the login endpoint.
A successful change clears ``must_reset_password``, revokes every token of the user (the
directory's ``password_changed`` signal does it on commit; we also do it at once, inside the
transaction, so no old token outlives the change) and issues one fresh token.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.actions.login import InvalidCredentials
from apps.accounts.actions.mfa import mfa_needed
from apps.accounts.actions.tokens import issue_token_after_commit, revoke_all_tokens
from apps.accounts.guard import verify_password_attempt
from apps.audit.models import Action
from apps.directory.actions.users import set_password


def verify_old_password(*, user=None, username: str = "", old_password: str, request=None):
    """The user whose old password matches, or :class:`InvalidCredentials` (audited)."""
    identifier = user.username if user is not None else username
    account = verify_password_attempt(
        identifier, old_password, user=user, channel="password_change", action=Action.PASSWORD_CHANGED
    )
    if account is None:
        raise InvalidCredentials()
    return account


def change_own_password(user, old_password: str, new_password: str) -> tuple[object, str]:
    """The logged-in variant: check ``old_password``, set ``new_password``; return the user
    and a fresh raw token."""
    account = verify_old_password(user=user, old_password=old_password)
    return account, set_new_password(account, new_password)


def change_password_by_username(
    username: str, old_password: str, new_password: str, *, request=None
) -> tuple[object, str | None]:
    """v1's logged-out variant: ``username`` may also be an email or mobile, as at login.
    The token is ``None`` when the account needs a second factor: the caller answers with
    an MFA challenge instead, so a password change is no way around MFA."""
    account = verify_old_password(username=username, old_password=old_password, request=request)
    return account, set_new_password(account, new_password, issue=not mfa_needed(account))


@transaction.atomic
def set_new_password(user, new_password: str, *, issue: bool = True) -> str | None:
    """Set it (validators apply, errors under ``new_password``), revoke every token, return a fresh one."""
    try:
        set_password(user, new_password, actor=user, must_reset=False)
    except ValidationError as exc:
        messages = exc.message_dict.get("password", exc.messages) if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError({"new_password": messages}) from None
    revoke_all_tokens(user, actor=user, reason="password_changed")
    return issue_token_after_commit(user, actor=user) if issue else None
