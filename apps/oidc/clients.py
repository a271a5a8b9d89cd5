"""OAuth clients by ``client_id``, cached: every token request looks its client up first.

The cached value is the row's column values (the secret only as its salted hash, as stored),
rebuilt into an ``Application`` without touching the database. Only with a shared cache
(``settings.SHARED_CACHE``): a per-process copy could keep a rotated secret or a removed
redirect URI valid in the other processes.

Invalidation (receivers.py: every save and delete of an ``Application``, including the
cascade from deleting its app) writes a short-lived tombstone instead of just deleting the
entry, and again after the commit. A request that read the row just before the change
commits then cannot put its stale copy back (entries are only ever *added*), so the first
request after a change already sees the new row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction

from apps.oidc import storage
from apps.oidc.models import Application

_TTL = 300  # seconds: a bound on anything the invalidation could ever miss
_TOMBSTONE_TTL = 3  # seconds no request may cache the client after a change (see above)
_TOMBSTONE = "-"
_NAMES = tuple(f.attname for f in Application._meta.concrete_fields)


def _key(client_id: str) -> str:
    return f"oidc:client:v1:{client_id}"


def _valid_id(client_id) -> bool:
    return bool(client_id) and isinstance(client_id, str) and "\x00" not in client_id and len(client_id) <= 100


def _fetch(client_id: str) -> Application | None:
    # A precompiled statement: compiling the ORM query costs several times more than running
    # it (and a raw queryset's machinery about as much again).
    return storage.fetch_one(Application, "client_id", client_id)


def by_client_id(client_id) -> Application | None:
    """The client with ``client_id``, or None (also for ids no client could have)."""
    if not _valid_id(client_id):
        return None
    if not settings.SHARED_CACHE:
        return _fetch(client_id)
    key = _key(client_id)
    values = cache.get(key)
    if values is not None and values != _TOMBSTONE:
        return Application.from_db(DEFAULT_DB_ALIAS, _NAMES, values)
    client = _fetch(client_id)
    if client is not None and values is None:
        cache.add(key, tuple(getattr(client, name) for name in _NAMES), _TTL)
    return client


def forget(client_id: str) -> None:
    """Drop the cached client now and once more when the current transaction commits."""
    if not _valid_id(client_id):
        return
    key = _key(client_id)
    cache.set(key, _TOMBSTONE, _TOMBSTONE_TTL)
    transaction.on_commit(lambda: cache.set(key, _TOMBSTONE, _TOMBSTONE_TTL))
