"""The ``oauth_app`` protocol of a ``permissions.App``: its OAuth 2.0 / OIDC client.

The app's sub-object (v1's ``oauth_app``) configures one :class:`~apps.oidc.models.Application`.
Keys (all optional; the defaults make a confidential authorization-code client)::

    client_type             "confidential" | "public"
    grant_types             ["authorization_code", "refresh_token", "client_credentials",
                             "password", "device_code"]
    redirect_uris           ["https://rp.example.com/callback", ...]   exact match
    post_logout_redirect_uris  [...]
    skip_authorization      true: no consent screen (trusted first-party apps)
    algorithm               "RS256" | "ES256"          ID token signature
    backchannel_logout_uri  "https://rp.example.com/backchannel-logout"
    allow_implicit          true: also the implicit grant (off by default)
    allowed_origins         ["https://spa.example.com", ...]   browser apps' origins (CORS)
    rotate_secret           true: issue a new client secret (shown once)

v1's single ``authorization_grant_type`` ("authorization_code", "implicit", "password",
"client_credentials", dashes or underscores) is accepted in place of ``grant_types``.

The client secret is returned once (creation, rotation) and kept only as a salted hash.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from apps.oidc import actions
from apps.oidc.models import Application
from apps.permissions import protocols
from apps.permissions.models import App

GRANTS = {
    "authorization_code": Application.GRANT_AUTHORIZATION_CODE,
    "client_credentials": Application.GRANT_CLIENT_CREDENTIALS,
    "password": Application.GRANT_PASSWORD,
    "device_code": Application.GRANT_DEVICE_CODE,
    # Refresh tokens come with the other grants; accepted for v1 clients that list it.
    "refresh_token": None,
}
DEFAULTS = {
    "client_type": Application.CLIENT_CONFIDENTIAL,
    "grant_types": ["authorization_code", "refresh_token"],
    "redirect_uris": [],
    "post_logout_redirect_uris": [],
    "skip_authorization": False,
    "algorithm": Application.RS256_ALGORITHM,
    "backchannel_logout_uri": "",
    "allow_implicit": False,
    "allowed_origins": [],
}
_URL = URLValidator(schemes=["http", "https"])


def _uri_list(value, key: str, errors: dict) -> list[str]:
    if isinstance(value, str):  # v1 sent one space-separated string
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[key] = _("Must be a list of URLs.")
        return []
    for uri in value:
        try:
            _URL(uri)
        except ValidationError:
            errors[key] = _("%(uri)s is not an http(s) URL.") % {"uri": uri[:200]}
        if "#" in uri:
            errors[key] = _("A redirect URI must not contain a fragment.")
    return list(dict.fromkeys(value))


def _is_origin(value: str) -> bool:
    try:
        parts = urlsplit(value)
        _URL(value)
    except (ValueError, ValidationError):
        return False
    no_more = not (parts.path or parts.query or parts.fragment or "@" in parts.netloc)
    return parts.scheme == "https" and bool(parts.hostname) and no_more


def _origin_list(value, errors: dict) -> list[str]:
    """Origins as browsers send them: ``https://host`` or ``https://host:port``, nothing more.
    https only: oauthlib answers CORS for secure origins alone (a page served over http can
    be altered on the way, so it must not receive tokens from another origin)."""
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors["allowed_origins"] = _("Must be a list of origins.")
        return []
    origins = [origin.strip().lower().removesuffix("/") for origin in value]
    for origin, given in zip(origins, value, strict=True):
        if not _is_origin(origin):
            errors["allowed_origins"] = _(
                "%(origin)s is not an https origin (https://host or https://host:port, no path)."
            ) % {"origin": given[:200]}
    return list(dict.fromkeys(origins))


def _choice(value, key: str, choices, errors: dict):
    if value not in choices:
        errors[key] = _("Must be one of: %(choices)s.") % {"choices": ", ".join(choices)}
    return value


def _flag(value, key: str, errors: dict) -> bool:
    if not isinstance(value, bool):
        errors[key] = _("Must be true or false.")
    return bool(value)


def _from_v1(data: dict) -> dict:
    """v1's ``authorization_grant_type`` as ``grant_types`` / ``allow_implicit``."""
    if "authorization_grant_type" not in data:
        return data
    data = dict(data)
    v1 = str(data.pop("authorization_grant_type") or "").replace("-", "_")
    if v1 == "implicit":
        data.setdefault("grant_types", [])
        data.setdefault("allow_implicit", True)
    else:
        data.setdefault("grant_types", [v1] if v1 == "client_credentials" else [v1, "refresh_token"])
    return data


class OAuthProtocol(protocols.ProtocolHandler):
    name = "oauth_app"
    label = "OAuth2.0"

    def validate(self, data) -> dict:
        if data in (None, ""):
            data = {}
        if not isinstance(data, dict):
            raise ValidationError(_("Must be an object."))
        errors: dict[str, str] = {}
        data = _from_v1(data)
        unknown = set(data) - set(DEFAULTS) - {"rotate_secret", "client_id", "client_secret", "more_detail"}
        if unknown:
            errors[sorted(unknown)[0]] = _("Unknown key.")
        merged = {**DEFAULTS, **{k: v for k, v in data.items() if k in DEFAULTS}}
        cleaned = {
            "client_type": _choice(merged["client_type"], "client_type", ["confidential", "public"], errors),
            "redirect_uris": _uri_list(merged["redirect_uris"], "redirect_uris", errors),
            "post_logout_redirect_uris": _uri_list(
                merged["post_logout_redirect_uris"], "post_logout_redirect_uris", errors
            ),
            "skip_authorization": _flag(merged["skip_authorization"], "skip_authorization", errors),
            "algorithm": _choice(merged["algorithm"], "algorithm", ["RS256", "ES256"], errors),
            "allow_implicit": _flag(merged["allow_implicit"], "allow_implicit", errors),
            "backchannel_logout_uri": merged["backchannel_logout_uri"] or "",
            "allowed_origins": _origin_list(merged["allowed_origins"], errors),
        }
        if cleaned["backchannel_logout_uri"]:
            _uri_list([cleaned["backchannel_logout_uri"]], "backchannel_logout_uri", errors)
        grants = merged["grant_types"]
        if not isinstance(grants, list) or any(g not in GRANTS for g in grants):
            errors["grant_types"] = _("Must be a list of: %(choices)s.") % {"choices": ", ".join(GRANTS)}
            grants = []
        elif not grants and not cleaned["allow_implicit"]:
            errors["grant_types"] = _("Must be a non-empty list of: %(choices)s.") % {"choices": ", ".join(GRANTS)}
            grants = []
        cleaned["grant_types"] = list(dict.fromkeys(grants))
        if cleaned["client_type"] == "public" and "client_credentials" in grants:
            errors["grant_types"] = _("A public client has no secret, so no client credentials grant.")
        needs_redirect = "authorization_code" in grants or cleaned["allow_implicit"]
        if needs_redirect and not cleaned["redirect_uris"]:
            errors["redirect_uris"] = _("The authorization code grant needs at least one redirect URI.")
        if "rotate_secret" in data:
            cleaned["rotate_secret"] = _flag(data["rotate_secret"], "rotate_secret", errors)
        if errors:
            raise ValidationError("; ".join(f"{key}: {message}" for key, message in sorted(errors.items())))
        return cleaned

    def apply(self, app: App, cleaned: dict, *, actor) -> dict:
        config = {k: v for k, v in cleaned.items() if k != "rotate_secret"}
        shown = actions.save_client(app, config, rotate_secret=cleaned.get("rotate_secret", False), actor=actor)
        super().apply(app, config, actor=actor)
        return shown

    def detail(self, app: App, config: dict, request=None) -> dict:
        client = Application.objects.filter(app=app).only("client_id").first()
        return {
            **DEFAULTS,
            **config,
            "client_id": client.client_id if client else "",
            "more_detail": self.more_detail(app, config),
        }

    def more_detail(self, app: App, config: dict) -> list[dict]:
        base = settings.BASE_URL
        items = [
            ("Issuer", "issuer", base),
            ("Discovery", "discovery_url", f"{base}/.well-known/openid-configuration"),
            ("Authorize URL", "authorize_url", f"{base}/oauth/authorize/"),
            ("Token URL", "token_url", f"{base}/oauth/token/"),
            ("Userinfo URL", "userinfo_url", f"{base}/oauth/userinfo/"),
            ("JWKS URL", "jwks_url", f"{base}/oauth/.well-known/jwks.json"),
            ("Revoke URL", "revoke_url", f"{base}/oauth/revoke_token/"),
            ("Introspect URL", "introspect_url", f"{base}/oauth/introspect/"),
            ("End session URL", "end_session_url", f"{base}/oauth/logout/"),
        ]
        return [{"name": _(name), "key": key, "value": value} for name, key, value in items]

    def remove(self, app: App) -> None:
        actions.delete_client(app)
        super().remove(app)


def register() -> None:
    protocols.register(OAuthProtocol())
