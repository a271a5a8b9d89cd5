"""Per-app service bind identities, through the ``ldap_app`` protocol of an app.

The permissions app's plain ``ldap_app`` handler only describes the endpoint. This subclass,
registered from :class:`~apps.ldap_server.apps.LdapServerConfig.ready`, also gives each
LDAP-enabled app its own bind DN ``cn=<app uid>,ou=apps,<base>`` and a random secret that is
returned once (the API shows it in the save response) and stored only as a password hash, so
no app manager ever sees the admin password. ``{"rotate_secret": true}`` issues a new one;
``{"access_holders_only": true}`` limits what the app sees to users allowed to use it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.ldap_server.models import ServiceAccount
from apps.permissions import protocols
from apps.permissions.models import App, AppProtocol

OPTIONS = ("access_holders_only", "rotate_secret")


def bind_dn(app_uid: str) -> str:
    return f"cn={app_uid},ou=apps,{settings.LDAP_BASE_DN}"


class ServiceAccountLdapProtocol(protocols.LdapProtocol):
    def validate(self, data) -> dict:
        if data in (None, ""):
            return {}
        if not isinstance(data, dict):
            raise ValidationError(_("Must be an object."))
        cleaned = {}
        for key, value in data.items():
            if key not in OPTIONS:
                continue  # v1 clients echo the detail fields back; they configure nothing
            if not isinstance(value, bool):
                raise ValidationError(_("%(key)s must be true or false.") % {"key": key})
            cleaned[key] = value
        return cleaned

    def apply(self, app: App, cleaned: dict, *, actor) -> dict:
        rotate = cleaned.pop("rotate_secret", False)
        config = {"access_holders_only": True} if cleaned.get("access_holders_only") else {}
        AppProtocol.objects.update_or_create(app=app, name=self.name, defaults={"config": config})
        account = ServiceAccount.objects.filter(app=app).first()
        secret = None
        if account is None or rotate:
            secret = secrets.token_urlsafe(24)
            account = account or ServiceAccount(app=app)
            account.secret_hash = make_password(secret)
        account.access_holders_only = bool(config)
        account.save()
        if secret is None:
            return {}
        record_event(Action.LDAP_SECRET_ISSUED, actor=actor, target=app, detail={"bind_dn": bind_dn(app.uid)})
        return {"bind_dn": bind_dn(app.uid), "secret": secret}

    def detail(self, app: App, config: dict, request=None) -> dict:
        return {**super().detail(app, config, request), "bind_dn": bind_dn(app.uid)}

    def remove(self, app: App) -> None:
        super().remove(app)
        ServiceAccount.objects.filter(app=app).delete()


def register() -> None:
    protocols.register(ServiceAccountLdapProtocol())
