"""External login sources: a registry like allauth's providers or authentik's source types.

A source (DingTalk first; WeChat, WeCom, Alipay, QQ, GitHub later) subclasses
:class:`LoginSource` and registers itself in its app's ``AppConfig.ready``::

    from apps.accounts.sources import LoginSource, ExternalProfile, register

    class DingTalkSource(LoginSource):
        key = "dingtalk"
        name = "DingTalk"
        def is_enabled(self): ...
        def authorization_url(self, request, *, state, redirect_uri): ...
        def fetch_profile(self, request, params, *, redirect_uri) -> ExternalProfile: ...

    register(DingTalkSource())

The accounts app provides the rest (``apps.accounts.sources.views``): the button on the
login page, ``/login/source/<key>/`` (start: a random ``state`` bound to the session),
``/login/source/<key>/callback/`` (``state`` checked and used once, then the source turns
the callback parameters into a profile server-side), and the account decision. An external
identity already linked logs its user in (then MFA and the forced password change as for a
password login). A new one is bound to an existing account only after that account's
password is proven on ``/login/source/<key>/bind/`` (through the brute-force guard), or,
when the source allows it, a new account is provisioned. Nothing the browser posts names
the external account: it comes from the session, which only the callback wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from apps.directory.models import Origin


@dataclass(frozen=True)
class ExternalProfile:
    """What a source learned about the person, server-side, from the provider."""

    external_id: str
    name: str = ""
    email: str = ""
    mobile: str = ""
    username_hint: str = ""
    data: dict = field(default_factory=dict)


class LoginSource:
    key: str = ""  # URL segment and ExternalIdentity.provider
    name: str = ""  # button label
    icon: str = ""  # button image URL (optional)
    # Extra query parameters of the login page's button (DingTalk: embed=1, its QR on the page).
    button_params: dict[str, str] = {}  # noqa: RUF012 - read only, overridden per class
    origin: int = Origin.ADMIN  # for provisioned users (DingTalk: Origin.DINGTALK)

    def is_enabled(self) -> bool:
        return True

    def allows_provisioning(self) -> bool:
        """Whether an unknown external account may get a new ArkID account."""
        return False

    def authorization_url(self, request, *, state: str, redirect_uri: str) -> str:
        raise NotImplementedError

    def fetch_profile(self, request, params, *, redirect_uri: str) -> ExternalProfile:
        """Exchange the callback ``params`` (code, authCode, ...) for a profile; raise
        :class:`SourceError` when the provider refuses."""
        raise NotImplementedError


class SourceError(Exception):
    """The provider refused or failed; the message goes to the log. The user sees
    ``user_message`` when the source gives one (e.g. "not a member of this organisation"),
    else a generic one; ``reason`` goes to the audit event, ``status`` is the HTTP status."""

    def __init__(self, message: str = "", *, user_message: str = "", reason: str = "provider_error", status: int = 502):
        super().__init__(message)
        self.user_message, self.reason, self.status = user_message, reason, status


_registry: dict[str, LoginSource] = {}


def register(source: LoginSource) -> LoginSource:
    if not source.key or not source.key.isidentifier():
        raise ValueError(f"bad login source key {source.key!r}")
    _registry[source.key] = source
    return source


def unregister(key: str) -> None:
    _registry.pop(key, None)


def get_source(key: str) -> LoginSource | None:
    source = _registry.get(key)
    return source if source is not None and source.is_enabled() else None


def registered_sources() -> list[LoginSource]:
    """Every registered source, enabled or not (the console lists them with their state)."""
    return list(_registry.values())


def enabled_sources() -> list[LoginSource]:
    return [s for s in _registry.values() if s.is_enabled()]


def login_buttons(next_url: str = "") -> list[dict]:
    """For the login page template: label, icon and start URL of each enabled source."""
    next_param = {"next": next_url} if next_url and next_url != "/" else {}
    buttons = []
    for source in enabled_sources():
        params = {**source.button_params, **next_param}
        query = f"?{urlencode(params)}" if params else ""
        buttons.append(
            {"key": source.key, "name": source.name, "icon": source.icon, "url": f"/login/source/{source.key}/{query}"}
        )
    return buttons
