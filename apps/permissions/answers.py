"""Whole answers of the token check (``auth/token/`` naming an app), cached per asker and app.

Apps call the check on every request they serve. Cached per-permission results
(apps.permissions.cache) still cost a chain of cache reads (the token, the app's permission
list, their versions, the results) and the building of the response, so the check caches
its whole answer too: the app's uid, ``{perm uid: held}`` for each of its permissions and the
response body (the user's profile and held permissions, as JSON bytes). A repeated check is
then one cache round trip and no computation; ``perm_uid`` only picks the status (200 or
403) from the results, so one answer serves every permission of the app.

- Asked with a user's token: ``perm:ans:t:<HMAC of the token digest and the app named>``,
  read together with the token's entry (apps.accounts.token_cache) and the epoch. Used only
  when the token's entry is usable (not revoked, expired or marked stale) and holds the very
  user values the answer was computed for: any change of the user the token cache sees
  (deactivation, admin flag, forced password change, profile) makes it miss.
- Asked by an app with its client credentials about ``username``: ``perm:ans:c:<HMAC of
  the client id, the secret, the username and the app named>``, read with the epoch. Only
  credentials that were just verified against the database lead to a stored answer.

Both are valid only under the epoch they were computed in (``perm:epoch``,
apps.permissions.cache), which every permission status change, membership change, group
move or delete, write to an app, its permissions or its protocols (OAuth client secrets
included), and every change or deletion of a user bumps, at once and on commit. The epoch is
read *before* the data an answer is computed from, so an answer computed from data that a
concurrent writer has changed since carries an epoch the writer's on-commit bump retired: a
check right after any change is already correct.

Only 200 and 403 answers are stored; errors (401, 404, ...) are computed every time. As with
the other permission caches, nothing is cached unless every process shares the cache
(settings.SHARED_CACHE).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache

from apps.accounts import token_cache
from apps.permissions import cache as perm_cache

ANSWER_TTL = 600  # seconds; the epoch, not the TTL, keeps answers right


class Answer(NamedTuple):
    epoch: int
    user_values: tuple | None  # the token entry's values the answer was computed for (tokens only)
    app_uid: str
    results: dict[str, bool]
    body: bytes


@dataclass(frozen=True)
class Lookup:
    """What a check found in the cache, and what it needs to store its answer afterwards."""

    key: str | None  # None: this check is not cached
    epoch: int | None = None
    user_values: tuple | None = None  # of the token's usable entry, when there was one
    answer: Answer | None = None


NOT_CACHED = Lookup(key=None)


def _app_named(params) -> tuple[str, str] | None:
    # As apps.permissions.queries.token_check.app_uid_of reads them: app_uid wins.
    app_uid = (params.get("app_uid") or "").strip()
    if app_uid:
        return "a", app_uid
    client_id = (params.get("oauth_client_id") or "").strip()
    return ("c", client_id) if client_id else None


def _mac(*parts: str) -> str:
    # Keyed, so a key in the cache reveals nothing of a secret that went into it.
    message = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _lookup(key: str, found: dict, user_values: tuple | None, *, token: bool) -> Lookup:
    epoch = found.get(perm_cache.EPOCH_KEY)
    answer = found.get(key)
    if answer is not None and (answer.epoch != epoch or (token and answer.user_values != user_values)):
        answer = None
    if epoch is None:  # lost (eviction) or never set: read it now, before anything is computed
        epoch = perm_cache.epoch()
    return Lookup(key=key, epoch=epoch, user_values=user_values, answer=answer)


def for_token(key_digest: str, params) -> Lookup:
    """A check with a user's token (by its digest)."""
    named = _app_named(params)
    if named is None or not settings.SHARED_CACHE:
        return NOT_CACHED
    key = "perm:ans:t:" + _mac(key_digest, *named)
    token_key = token_cache.entry_key(key_digest)
    found = cache.get_many([token_key, key, perm_cache.EPOCH_KEY])
    user_values = token_cache.usable_values(found.get(token_key))
    lookup = _lookup(key, found, user_values, token=True)
    # Without a usable token entry the token is checked in the database: no answer applies.
    return lookup if user_values is not None else Lookup(key=key, epoch=lookup.epoch)


def for_app(credentials: tuple[str, str], params) -> Lookup:
    """A check by an app with its client credentials about ``username``."""
    if not settings.SHARED_CACHE:
        return NOT_CACHED
    client_id, secret = credentials
    asked = [(params.get(name) or "").strip() for name in ("app_uid", "oauth_client_id")]
    username = (params.get("username") or "").strip().lower()
    key = "perm:ans:c:" + _mac(client_id, secret, username, *asked)
    found = cache.get_many([key, perm_cache.EPOCH_KEY])
    return _lookup(key, found, None, token=False)


def store(lookup: Lookup, *, user_values: tuple | None, app_uid: str, results: dict[str, bool], body: bytes) -> None:
    """Keep a just computed answer under the epoch read before it was computed."""
    if lookup.key is None or lookup.epoch is None:
        return
    answer = Answer(lookup.epoch, user_values, app_uid, results, body)
    cache.set(lookup.key, answer, timeout=ANSWER_TTL)
