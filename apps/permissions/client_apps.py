"""Finding an app by its OAuth 2.0 client id, for the token check's ``oauth_client_id``.

The OAuth 2.0 / OIDC app sits above this one, so it registers a resolver here (in its
``AppConfig.ready``): ``resolver(client_id)`` returns the app's uid, or None when the client
id is not its own. Without a resolver no client id matches, and the check answers 404.
"""

from __future__ import annotations

from collections.abc import Callable

ClientAppResolver = Callable[[str], str | None]

_resolvers: list[ClientAppResolver] = []


def register_client_app_resolver(resolver: ClientAppResolver) -> ClientAppResolver:
    """Add ``resolver`` once (usable as a decorator)."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    return resolver


def unregister_client_app_resolver(resolver: ClientAppResolver) -> None:
    if resolver in _resolvers:
        _resolvers.remove(resolver)


def app_uid_for_client(client_id: str) -> str | None:
    for resolver in _resolvers:
        uid = resolver(client_id)
        if uid:
            return uid
    return None
