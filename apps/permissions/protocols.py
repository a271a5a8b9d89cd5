"""The authentication protocols an app can use, as a small registry of handlers.

ArkID v1 attached each protocol to an app as a sub-object named ``<protocol>_app``
(``oauth_app``, ``ldap_app``, ``http_app``, ...); the API keeps those names. A handler knows how to
check its sub-object (``validate``), store it (``apply``, which returns the secrets to show once,
never stored in clear), describe it (``detail``, with v1's ``more_detail`` list of endpoints)
and take it away (``remove``). Which protocols an app uses is recorded in ``AppProtocol`` rows;
``config`` there never holds a secret.

``oauth_app`` (OAuth 2.0 / OIDC) is registered by apps.oidc when it is installed. SAML belongs
to a later issue and ``oidc_app`` is served by ``oauth_app``: both are listed in
:data:`UNAVAILABLE` so a client sending them gets a clear 400 instead of a silently ignored
field.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.permissions.models import App, AppProtocol

# Protocols v1 had that are not implemented yet, with the message a client gets for them.
UNAVAILABLE = {
    # v1 listed OIDC apart; here one oauth_app client serves both (scope openid). Kept so v1
    # bodies keep the key and an echoed "oidc_app": null stays harmless.
    "oidc_app": gettext_lazy("OpenID Connect is configured with oauth_app (request the openid scope)."),
    "saml_app": gettext_lazy("SAML is not available yet."),
}


class ProtocolHandler:
    """One protocol. Subclasses set ``name`` (the v1 sub-object key) and ``label`` (the v1
    ``auth_protocols`` entry) and override what differs."""

    name = ""
    label = ""

    def validate(self, data) -> dict:
        """The cleaned configuration, or ValidationError (keyed by nothing: the caller names the field)."""
        if data in (None, ""):
            return {}
        if not isinstance(data, dict):
            raise ValidationError(_("Must be an object."))
        return {}

    def apply(self, app: App, cleaned: dict, *, actor) -> dict:
        """Store ``cleaned`` for ``app``; return the secrets to show once ({} when none)."""
        AppProtocol.objects.update_or_create(app=app, name=self.name, defaults={"config": cleaned})
        return {}

    def detail(self, app: App, config: dict, request=None) -> dict:
        return {**config, "more_detail": self.more_detail(app, config)}

    def more_detail(self, app: App, config: dict) -> list[dict]:
        return []

    def remove(self, app: App) -> None:
        AppProtocol.objects.filter(app=app, name=self.name).delete()


def _item(name, key: str, value: str) -> dict:
    return {"name": str(name), "key": key, "value": value}


class HttpProtocol(ProtocolHandler):
    """v1's "HTTP" protocol: the app logs users in with ArkID's login API and checks tokens
    (and permissions) with ``auth/token/``. Nothing to configure."""

    name = "http_app"
    label = "HTTP"

    def more_detail(self, app: App, config: dict) -> list[dict]:
        base = settings.BASE_URL
        return [
            _item(_("Login URL"), "login_url", f"{base}/siteapi/v1/ucenter/login/"),
            _item(_("Token check URL"), "token_check_url", f"{base}/siteapi/v1/auth/token/"),
        ]


class LdapProtocol(ProtocolHandler):
    """v1's "LDAP" protocol: the app binds to ArkID's LDAP service. Only public facts are shown;
    v1 also showed the LDAP root password here, which leaked it to every app manager."""

    name = "ldap_app"
    label = "LDAP"

    def more_detail(self, app: App, config: dict) -> list[dict]:
        base_dn = settings.LDAP_BASE_DN
        return [
            _item(_("LDAP address"), "host", settings.LDAP_URL),
            _item(_("Base DN"), "base_dn", base_dn),
            _item(_("User base DN"), "user_base_dn", f"ou=people,{base_dn}"),
            _item(_("User ID attribute"), "uid_attribute", "uid"),
        ]


registry: dict[str, ProtocolHandler] = {}


def register(handler: ProtocolHandler) -> ProtocolHandler:
    registry[handler.name] = handler
    return handler


def unregister(name: str) -> None:
    registry.pop(name, None)


def handler_for(name: str) -> ProtocolHandler | None:
    return registry.get(name)


def known_names() -> list[str]:
    """Every sub-object key the API answers with (available or not), in a stable order."""
    return list(dict.fromkeys(["oauth_app", *registry, *UNAVAILABLE]))


register(HttpProtocol())
register(LdapProtocol())
