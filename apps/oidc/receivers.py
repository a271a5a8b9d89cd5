"""Single sign-out (connected in OidcConfig.ready): logging out of ArkID, changing the password
or being deactivated revokes every OAuth token of the user and tells the apps that asked for
it (OIDC Back-Channel Logout), from a Celery task so a slow app never delays the logout."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save

from apps.directory import signals as directory_signals
from apps.directory.models import User
from apps.oidc import clients
from apps.oidc.actions import sign_out
from apps.oidc.models import Application


def on_logged_out(sender, request=None, user=None, **kwargs) -> None:
    if user is not None and getattr(user, "pk", None) is not None:
        sign_out(user, "logout")


def on_password_changed(sender, user, **kwargs) -> None:
    sign_out(user, "password_changed")


def on_user_saved(sender, instance: User, created=False, update_fields=None, **kwargs) -> None:
    if created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    sign_out(instance, "user_deactivated")


def on_sessions_ended(sender, user, **kwargs) -> None:
    # An admin ended every session of the user: their OAuth tokens go too.
    sign_out(user, "sessions_ended")


def on_client_changed(sender, instance: Application, **kwargs) -> None:
    # Saved (secret rotated, redirect URIs or grants changed) or deleted (also by the
    # cascade from its app): the cached copy must not answer the next token request.
    clients.forget(instance.client_id)


def connect() -> None:
    from apps.accounts.signals import sessions_ended

    sessions_ended.connect(on_sessions_ended, dispatch_uid="oidc.sign_out.sessions_ended")
    user_logged_out.connect(on_logged_out, dispatch_uid="oidc.sign_out.logout")
    directory_signals.password_changed.connect(on_password_changed, dispatch_uid="oidc.sign_out.password")
    post_save.connect(on_user_saved, sender=User, dispatch_uid="oidc.sign_out.deactivated")
    post_save.connect(on_client_changed, sender=Application, dispatch_uid="oidc.client_cache.saved")
    post_delete.connect(on_client_changed, sender=Application, dispatch_uid="oidc.client_cache.deleted")
