"""Token revocation when credentials or accounts change (connected in AccountsConfig.ready).

Deleting a user needs nothing here: tokens and invitations are deleted by the foreign-key
cascade in the same transaction as the user.
"""

from __future__ import annotations

from django.db.models.signals import post_save

from apps.accounts.actions.invitations import void_open_invitations
from apps.accounts.actions.tokens import revoke_all_tokens
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


def connect() -> None:
    directory_signals.password_changed.connect(revoke_on_password_change, dispatch_uid="accounts.revoke_on_password")
    post_save.connect(revoke_on_deactivation, sender=User, dispatch_uid="accounts.revoke_on_deactivation")
