"""Which user claims each scope releases (OIDC Core 5.4, plus ArkID's ``groups``).

``sub`` is the user's stable UUID everywhere (ID token, userinfo, introspection): never the
integer primary key, which would leak the directory's size and order.
"""

from __future__ import annotations

from oauth2_provider.scopes import BaseScopes

from apps.directory.models import Membership

# Claim -> the scope that releases it. ``sub`` goes with every scope. Only claims the
# directory actually holds: it keeps one ``name`` (a Chinese name is not "given + family" in
# a way a program can split, and guessing would publish wrong data), so ``given_name`` and
# ``family_name`` are neither released nor advertised in the discovery document.
CLAIM_SCOPES = {
    "preferred_username": "profile",
    "name": "profile",
    "picture": "profile",
    "updated_at": "profile",
    "email": "email",
    "email_verified": "email",
    "phone_number": "phone",
    "phone_number_verified": "phone",
    "groups": "groups",
    "group_ids": "groups",
}

SCOPES = {
    "openid": "OpenID Connect sign-in",
    "profile": "Your name and username",
    "email": "Your email address",
    "phone": "Your mobile number",
    "groups": "The groups you belong to",
    "read": "Reading scope",
    "write": "Writing scope",
}


def subject(user) -> str:
    return str(user.uuid)


def _groups(user) -> tuple[list[str], list[str]]:
    rows = Membership.objects.filter(user=user).order_by("group__name").values_list("group__name", "group__uid")
    return [name for name, _uid in rows], [uid for _name, uid in rows]


def claims_for(user, scopes) -> dict:
    """The claims ``scopes`` release about ``user`` (empty values left out)."""
    scopes = set(scopes)
    claims = {"sub": subject(user)}
    if "profile" in scopes:
        claims["preferred_username"] = user.username
        if user.name:
            claims["name"] = user.name
        if user.avatar:
            claims["picture"] = user.avatar
        claims["updated_at"] = int(user.updated.timestamp())
    if "email" in scopes and user.email:
        # Administrators type addresses in; nothing proves the user reads that mailbox.
        claims["email"] = user.email
        claims["email_verified"] = False
    if "phone" in scopes and user.mobile:
        claims["phone_number"] = user.mobile
        claims["phone_number_verified"] = False
    if "groups" in scopes:
        claims["groups"], claims["group_ids"] = _groups(user)
    return claims


class Scopes(BaseScopes):
    """DOT's scopes backend: the scopes above, for every client. ``openid`` by default, except
    for client credentials (no user, so nothing for OIDC to say), which get ``read``."""

    def get_all_scopes(self) -> dict:
        return dict(SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return list(SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if getattr(request, "grant_type", None) == "client_credentials":
            return ["read"]
        return ["openid"]
