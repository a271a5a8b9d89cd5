"""Finding an app by its OAuth 2.0 client id, for the token check's ``oauth_client_id``, and
authenticating an app by its client credentials, for apps asking about a given user.

The OAuth 2.0 / OIDC app sits above this one, so it registers hooks here (in its
``AppConfig.ready``): ``resolver(client_id)`` returns the app's uid, or None when the client
id is not its own; ``authenticator(client_id, client_secret)`` returns the uid of the app
whose confidential client that is, or None. Without hooks nothing matches: the check answers
404 for a client id and 401 for client credentials.
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


ClientAuthenticator = Callable[[str, str], str | None]

_authenticators: list[ClientAuthenticator] = []


def register_client_authenticator(authenticator: ClientAuthenticator) -> ClientAuthenticator:
    if authenticator not in _authenticators:
        _authenticators.append(authenticator)
    return authenticator


def unregister_client_authenticator(authenticator: ClientAuthenticator) -> None:
    if authenticator in _authenticators:
        _authenticators.remove(authenticator)


def app_uid_for_credentials(client_id: str, client_secret: str) -> str | None:
    for authenticator in _authenticators:
        uid = authenticator(client_id, client_secret)
        if uid:
            return uid
    return None
