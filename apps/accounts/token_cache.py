"""A short-lived cache of ``token digest -> (expiry, the user's fields)`` for the token check
API (``auth/token/``), which apps call on every request they serve.

Used only when the cache is shared by every process (settings.SHARED_CACHE: Redis); with
the embedded per-process cache every check reads the database. Only that endpoint reads it
(every other view loads the token and the user from the database): the user it builds
holds just the fields the check needs, the rest are deferred.

An entry can never let a revoked or expired token or a deactivated user through:

- the expiry is compared on every use, and an entry lives at most :data:`ENTRY_TTL`;
- every write that could change the answer marks the entries of the tokens concerned
  *stale* (revocation, revoke-all, any save or delete of the token or of its user: password
  change, deactivation, admin or profile change), at once and again on commit;
- readers store a fresh entry with ``add`` only, which fails while a *stale* marker is
  there, so a reader that loaded pre-commit data cannot put it back after the writer's
  on-commit mark. The marker outlives any plausible gap between a reader's query and its
  ``add``; while it is there, checks of that token go to the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import cache as memoize

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.accounts.models import ApiToken
from apps.directory.models import User

ENTRY_TTL = 60  # seconds; also bounds how late last_used can be (tokens are touched on a miss)
# Long enough to cover the few statements between a reader's query and its ``add`` (a lock
# wait, if any, happens before the writer commits, i.e. before the marker's clock starts),
# short enough that checks are cached again soon after a write.
STALE_TTL = 5
STALE = "stale"
# The fields the check reads: the profile it returns and what the engine and the forced
# password change look at.
_WANTED = {
    "id",
    "uuid",
    "username",
    "name",
    "email",
    "mobile",
    "employee_number",
    "gender",
    "avatar",
    "private_email",
    "position",
    "is_active",
    "is_admin",
    "must_reset_password",
}


@memoize
def _fields() -> tuple[str, ...]:
    # Model.from_db wants a subset in the model's own field order.
    return tuple(f.attname for f in User._meta.concrete_fields if f.attname in _WANTED)


@memoize
def _active_index() -> int:
    return _fields().index("is_active")


def entry_key(key_digest: str) -> str:
    """The cache key of a token's entry (the token check reads it together with others)."""
    return f"tok:{key_digest}"


def usable_values(entry) -> tuple | None:
    """The user's field values (in the order of the fields the entry keeps) of a cached entry that may be used:
    not a *stale* marker, not expired, of an active user; None otherwise."""
    if entry is None or entry == STALE:
        return None
    expires, values = entry
    if expires <= time.time() or not values[_active_index()]:
        return None
    return values


def values_of(user: User) -> tuple:
    """What an entry holds of ``user``: equal values mean an equal answer of the check."""
    return tuple(getattr(user, name) for name in _fields())


def load(key_digest: str) -> tuple[User | None, bool]:
    """(the cached active user of a still valid token or None, whether a miss may be stored)."""
    if not settings.SHARED_CACHE:  # a revocation in another process could not reach this one
        return None, False
    entry = cache.get(entry_key(key_digest))
    if entry is None:
        return None, True
    values = usable_values(entry)
    if values is None:
        return None, False
    return User.from_db("default", _fields(), values), False


def store(key_digest: str, expires, user: User) -> None:
    """Cache a token just found valid in the database (unless marked stale meanwhile)."""
    expires_at = expires.timestamp()
    timeout = min(ENTRY_TTL, int(expires_at - time.time()))
    if timeout > 0 and user.is_active:
        values = values_of(user)
        cache.add(entry_key(key_digest), (expires_at, values), timeout=timeout)


def _mark(keys: list[str]) -> None:
    cache.set_many(dict.fromkeys(keys, STALE), timeout=STALE_TTL)


def forget(key_digests: Iterable[str]) -> None:
    """Make the next checks of these tokens read the database, now and after commit."""
    if not settings.SHARED_CACHE:  # nothing is cached then (see load)
        return
    keys = [entry_key(d) for d in key_digests]
    if keys:
        _mark(keys)
        transaction.on_commit(lambda: _mark(keys))


def forget_user(user_id: int) -> None:
    """:func:`forget` every token of the user (an expired one cannot pass anyway, but is cheap)."""
    if not settings.SHARED_CACHE:  # skip the query: nothing is cached then
        return
    forget(ApiToken.objects.filter(user_id=user_id, revoked__isnull=True).values_list("key_digest", flat=True))
