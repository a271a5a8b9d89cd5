"""Token revocation when credentials or accounts change (connected in AccountsConfig.ready).

Deleting a user needs no revocation: tokens and invitations are deleted by the foreign-key
cascade in the same transaction as the user. Saves and deletes of users and tokens also mark
the token check's cached entries stale (apps.accounts.token_cache).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_delete

from apps.accounts import token_cache
from apps.accounts.actions import user_sessions
from apps.accounts.actions.invitations import void_open_invitations
from apps.accounts.actions.tokens import revoke_all_tokens
from apps.accounts.models import ApiToken
from apps.directory import signals as directory_signals
from apps.directory.models import User


def revoke_on_password_change(sender, user, **kwargs) -> None:
    # A password change logs the user out everywhere, as in v1. Tokens issued after the
    # change (the fresh one the change endpoint returns) are created after this runs.
    revoke_all_tokens(user, actor=None, reason="password_changed")
    void_open_invitations(user)


def revoke_on_deactivation(sender, instance: User, update_fields=None, **kwargs) -> None:
    if instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    # Authentication already refuses inactive users' tokens; revoking them as well means
    # reactivating the account does not bring old sessions back.
    revoke_all_tokens(instance, actor=None, reason="user_deactivated")
    void_open_invitations(instance)


# Saves that only record activity change nothing the token check returns.
_ACTIVITY_FIELDS = frozenset({"last_login", "last_active_time"})


def forget_cached_tokens_of_user(sender, instance: User, update_fields=None, **kwargs) -> None:
    # Any other change may be one the token check shows or decides on (active, admin, forced
    # password change, profile): its cached entries must not outlive it.
    if update_fields is not None and set(update_fields) <= _ACTIVITY_FIELDS:
        return
    token_cache.forget_user(instance.pk)


def forget_cached_token(sender, instance: ApiToken, created=False, **kwargs) -> None:
    if not created:
        token_cache.forget([instance.key_digest])


def remember_session(sender, request, user, **kwargs) -> None:
    if request is not None:
        user_sessions.record_session(request, user)


def forget_session(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        user_sessions.forget_session(session.session_key)


def connect() -> None:
    user_logged_in.connect(remember_session, dispatch_uid="accounts.sessions.logged_in")
    user_logged_out.connect(forget_session, dispatch_uid="accounts.sessions.logged_out")
    post_save.connect(forget_cached_tokens_of_user, sender=User, dispatch_uid="accounts.token_cache.user_saved")
    # pre_delete: the user's tokens are gone by post_delete.
    pre_delete.connect(forget_cached_tokens_of_user, sender=User, dispatch_uid="accounts.token_cache.user_deleted")
    post_save.connect(forget_cached_token, sender=ApiToken, dispatch_uid="accounts.token_cache.token_saved")
    post_delete.connect(forget_cached_token, sender=ApiToken, dispatch_uid="accounts.token_cache.token_deleted")
    directory_signals.password_changed.connect(revoke_on_password_change, dispatch_uid="accounts.revoke_on_password")
    post_save.connect(revoke_on_deactivation, sender=User, dispatch_uid="accounts.revoke_on_deactivation")
