from __future__ import annotations

from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "apps.oidc"
    label = "oidc"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The oauth_app protocol of permissions.App, and single sign-out on logout,
        # password change and deactivation.
        from apps.oidc import protocol, receivers
        from apps.permissions.client_apps import register_client_app_resolver, register_client_authenticator

        protocol.register()
        receivers.connect()
        register_client_app_resolver(app_uid_for_client_id)
        register_client_authenticator(app_uid_for_client_credentials)


def app_uid_for_client_id(client_id: str) -> str | None:
    """The token check's ``oauth_client_id``: the uid of the app owning that OAuth client."""
    from apps.oidc.models import Application

    if not client_id or "\x00" in client_id:
        return None
    return Application.objects.filter(client_id=client_id).values_list("app__uid", flat=True).first()


def app_uid_for_client_credentials(client_id: str, client_secret: str) -> str | None:
    """The token check asked by an app about a user: the uid of the app whose confidential
    client these credentials are (the secret is checked against its salted hash)."""
    from django.contrib.auth.hashers import check_password

    from apps.oidc.models import Application

    if not client_id or not client_secret or "\x00" in client_id:
        return None
    row = (
        Application.objects.filter(client_id=client_id, client_type=Application.CLIENT_CONFIDENTIAL)
        .values_list("client_secret", "app__uid")
        .first()
    )
    if row is None or not row[0] or not check_password(client_secret, row[0]):
        return None
    return row[1]
