"""Cached permission results, invalidated by version counters instead of deletes or flushes.

A result is stored under ``perm:r:<user uuid>:<perm uuid>:<any>:<perm version>:<tree version>``:

- the *perm version* (``perm:v:<perm id>``) is bumped by every status change of that perm;
- the *tree version* (``perm:tree``) is bumped by every membership change, group move or
  group delete (the directory's ``tree_changed`` signal);
- ``<any>`` is the app's ``allow_any_user`` flag as the engine saw it, so toggling it never
  serves a stale answer even if the writer forgets to bump.

The *epoch* (``perm:epoch``) is bumped by all of the above, by every write to an app or its
permissions and by every change of a user: whole answers of the token check
(apps.permissions.answers) depend on all of those at once, so they are checked against it.

Results are cached only when every process shares the cache (settings.SHARED_CACHE, i.e.
Redis): a bump in one process must reach all. Bumping makes every older key unreachable at
once (they expire by TTL). The user's own
``is_active`` / ``is_admin`` are checked by the engine before the cache is consulted, so
(de)activation and admin changes need no bump. Writers bump at once *and* on commit: the
first keeps reads inside the writing transaction right, the second drops anything a
concurrent reader cached from pre-commit data.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete

from apps.directory.models import Group, User
from apps.directory.signals import tree_changed
from apps.permissions.models import Permission, PermissionStatus

TREE_KEY = "perm:tree"
EPOCH_KEY = "perm:epoch"
RESULT_TTL = 24 * 3600


def _perm_key(perm_id: int) -> str:
    return f"perm:v:{perm_id}"


def _fresh() -> int:
    # A counter that disappeared (eviction, cache restart) must not restart at a value
    # older results were stored under, so it restarts at the clock, never at 0.
    return time.time_ns()


def _incr(key: str) -> None:
    # add() is a no-op when the key exists; incr() then works on every backend.
    cache.add(key, _fresh(), timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, _fresh(), timeout=None)


def _versions(keys: list[str]) -> list[int]:
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, _fresh(), timeout=None)
            found[key] = cache.get(key, _fresh())
    return [found[key] for key in keys]


def _bump_now_and_on_commit(key: str) -> None:
    _incr(key)
    if _commit_bump_pending(key):
        return
    transaction.on_commit(lambda: _incr(key))


def _commit_bump_pending(key: str) -> bool:
    """Whether the current transaction already bumps ``key`` on commit (and note that it will
    now): a bulk write (a CSV import saving thousands of users) needs one bump at commit, not
    one callback per row. Django replaces ``run_on_commit`` with a new list on commit and on
    rollback (of a savepoint too), so a note made for an earlier list never applies."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # on_commit runs at once
        return False
    hooks = connection.run_on_commit
    noted = getattr(connection, "_perm_cache_commit_bumps", None)
    if noted is None or noted[0] is not hooks:
        noted = (hooks, set())
        connection._perm_cache_commit_bumps = noted
    if key in noted[1]:
        return True
    noted[1].add(key)
    return False


def bump_perms(perm_ids) -> None:
    perm_ids = set(perm_ids)
    for perm_id in perm_ids:
        _bump_now_and_on_commit(_perm_key(perm_id))
    if perm_ids:
        bump_epoch()
    # After the bumps: on commit, callbacks run in the order they were added.
    primed = [pk for pk in sorted(perm_ids) if not _commit_bump_pending(f"prime:{pk}")][:PRIMED_MAX]
    if primed:
        transaction.on_commit(lambda: _prime_statuses(primed))


def bump_tree() -> None:
    _bump_now_and_on_commit(TREE_KEY)
    bump_epoch()


def bump_epoch() -> None:
    """Invalidate every cached answer of the token check (see apps.permissions.answers)."""
    _bump_now_and_on_commit(EPOCH_KEY)


def epoch() -> int:
    """The current epoch; read it *before* the data an answer is computed from."""
    return _versions([EPOCH_KEY])[0]


def perm_versions(perm_ids: list[int]) -> tuple[list[int], int]:
    """The versions of these permissions and the tree version, in one round trip to the cache.
    Read them *before* the data a result is computed from."""
    versions = _versions([_perm_key(pk) for pk in perm_ids] + [TREE_KEY])
    return versions[:-1], versions[-1]


def result_key(user, perm_uuid, allow_any: bool, perm_version: int, tree_version: int) -> str:
    """Keyed by uuids, not primary keys, so a reused id (SQLite) never meets an old result."""
    return f"perm:r:{user.uuid.hex}:{perm_uuid.hex}:{int(allow_any)}:{perm_version}:{tree_version}"


# What a result is computed from, cached too, so the first check after a change (a grant on a
# top-level group makes every user's result of that permission stale at once) needs no query:
# the user's groups with their paths, under the tree version, and the permission's explicit
# statuses, under its version. A writer stores the new statuses on commit (prime_statuses),
# so after an administrator's grant not even the first check reads them.
GROUPS_TTL = 3600
STATUSES_TTL = 3600
# Above this many explicit statuses a permission's statuses are not cached as a whole (every
# first check would read them all): the check queries the user's own and their groups' ones.
STATUSES_CACHED_MAX = 1000
TOO_MANY = "too-many"
PRIMED_MAX = 20  # permissions whose statuses a writer stores on commit; a bulk write leaves the rest


def groups_key(user, tree_version: int) -> str:
    return f"perm:g:{user.uuid.hex}:{tree_version}"


def statuses_key(perm_uuid, perm_version: int) -> str:
    return f"perm:s:{perm_uuid.hex}:{perm_version}"


def load_statuses(perm_id: int) -> tuple[dict, dict] | str:
    """({user uuid: status}, {group id: status}) of every explicit status of a permission in one
    query, or TOO_MANY. Users by uuid: an id SQLite hands out again never inherits a status."""
    rows = list(
        PermissionStatus.objects.filter(perm_id=perm_id).values_list("user__uuid", "group_id", "status")[
            : STATUSES_CACHED_MAX + 1
        ]
    )
    if len(rows) > STATUSES_CACHED_MAX:
        return TOO_MANY
    users = {user_uuid: status for user_uuid, _group, status in rows if user_uuid is not None}
    groups = {group_id: status for _user, group_id, status in rows if group_id is not None}
    return users, groups


def _prime_statuses(perm_ids: list[int]) -> None:
    # On commit, after the version bump: read the version first, then the committed statuses,
    # as a reader does (a later writer's bump retires the entry if it raced).
    if not settings.SHARED_CACHE:
        return
    uuids = dict(Permission.objects.filter(pk__in=perm_ids).values_list("id", "uuid"))
    versions, _tree = perm_versions(list(uuids))
    for (perm_id, perm_uuid), version in zip(uuids.items(), versions, strict=True):
        put(statuses_key(perm_uuid, version), load_statuses(perm_id), timeout=STATUSES_TTL)


def get(key: str):
    return cache.get(key) if settings.SHARED_CACHE else None


def get_many(keys: list[str]) -> dict:
    return cache.get_many(keys) if settings.SHARED_CACHE else {}


def put(key: str, value, timeout: int = RESULT_TTL) -> None:
    if settings.SHARED_CACHE:  # a per-process cache would miss other processes' bumps
        cache.set(key, value, timeout=timeout)


# The token check's list of each app's permissions (apps.permissions.queries.token_check),
# keyed by app uid. Invalidated like the token cache (apps.accounts.token_cache): writers mark
# the key stale at once and on commit, readers only ``add``, which fails while it is marked.
APP_PERMS_TTL = 300
STALE_TTL = 5  # see apps.accounts.token_cache.STALE_TTL
_STALE = "stale"


def _app_key(app_uid: str) -> str:
    return f"perm:app:{app_uid}"


def app_perm_rows(app_uid: str) -> tuple[list | None, bool]:
    """(the cached rows or None, whether rows loaded now may be stored)."""
    if not settings.SHARED_CACHE:
        return None, False
    rows = cache.get(_app_key(app_uid))
    if rows is None:
        return None, True
    if rows == _STALE:
        return None, False
    return rows, False


def store_app_perm_rows(app_uid: str, rows: list) -> None:
    cache.add(_app_key(app_uid), rows, timeout=APP_PERMS_TTL)


def _mark_app(key: str) -> None:
    cache.set(key, _STALE, timeout=STALE_TTL)


def forget_app(app_uid: str) -> None:
    """Called by every write to an app or its permissions (create, rename, delete, update)."""
    key = _app_key(app_uid)
    _mark_app(key)
    transaction.on_commit(lambda: _mark_app(key))
    bump_epoch()


def _on_tree_changed(sender, **kwargs) -> None:
    # The signal itself is sent at once and on commit by the directory, so bump only once here.
    _incr(TREE_KEY)
    _incr(EPOCH_KEY)


# Saves that only record activity change nothing an answer holds or depends on.
_ACTIVITY_FIELDS = frozenset({"last_login", "last_active_time"})


def _on_user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    # A cached answer holds the user's profile and was decided on their active and admin flags.
    if update_fields is not None and set(update_fields) <= _ACTIVITY_FIELDS:
        return
    bump_epoch()


def _on_user_deleted(sender, **kwargs) -> None:
    bump_epoch()


def _on_group_deleted(sender, instance, **kwargs) -> None:
    # Its statuses go with it (a cascade, no status write): bump their permissions, so cached
    # statuses never name a deleted group (SQLite may hand its id out again).
    bump_perms(PermissionStatus.objects.filter(group_id=instance.pk).values_list("perm_id", flat=True))


tree_changed.connect(_on_tree_changed, dispatch_uid="permissions.cache.tree_changed")
post_save.connect(_on_user_saved, sender=User, dispatch_uid="permissions.cache.user_saved")
post_delete.connect(_on_user_deleted, sender=User, dispatch_uid="permissions.cache.user_deleted")
pre_delete.connect(_on_group_deleted, sender=Group, dispatch_uid="permissions.cache.group_deleted")
