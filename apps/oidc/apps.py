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

        protocol.register()
        receivers.connect()
