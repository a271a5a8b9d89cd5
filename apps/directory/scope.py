"""What an actor may manage: administrators everything, sub-administrators their scope.

The directory may not import ``apps.permissions`` (it sits above), where manager groups live,
so the permissions app registers a :class:`ScopeResolver` here in its ``AppConfig.ready``.
Until one is registered nobody but an administrator manages anything.

A resolved :class:`ManageScope` is small: the path prefixes of the scope's top groups (their
descendants are in scope too), the explicitly listed users, the system permissions and the
app ids. The querysets built from it are single SQL statements: groups are a few indexed
``path LIKE '/1/5/%'`` prefixes, users are ``id IN (listed) OR id IN (SELECT user_id FROM
membership JOIN group WHERE path LIKE ...)``. No set of managed users or groups is ever
loaded into Python, so the cost does not grow with the directory (v1 looped over every user).

Scopes are cached per user under a global version counter (``scope:v``) bumped at once and on
commit by every manager-group change, membership change, group move or delete (the
``tree_changed`` signal) and user delete: a check right after any change is already correct.
Like the permission cache, scopes are cached only when the cache is shared by every process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.core import permissions as core_permissions
from apps.directory.models import Group, Membership, User
from apps.directory.signals import tree_changed, user_deleted

VERSION_KEY = "scope:v"
SCOPE_TTL = 24 * 3600


@dataclass(frozen=True)
class ManageScope:
    """One actor's management powers (the union over their manager groups)."""

    user_id: int | None = None
    is_admin: bool = False
    manager_group_ids: tuple[int, ...] = ()
    group_paths: tuple[str, ...] = ()  # scope tops; each path's subtree is in scope
    user_ids: tuple[int, ...] = ()  # users listed by name
    perms: frozenset[str] = field(default_factory=frozenset)  # system permission uids
    app_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_manager(self) -> bool:
        """A sub-administrator: a member of at least one manager group (administrators are not)."""
        return not self.is_admin and bool(self.manager_group_ids)

    @property
    def can_manage(self) -> bool:
        return self.is_admin or self.is_manager

    def holds(self, perm_uid: str) -> bool:
        return self.is_admin or perm_uid in self.perms

    def manages_app_id(self, app_id: int) -> bool:
        return self.is_admin or app_id in self.app_ids


NOBODY = ManageScope()


class ScopeResolver(Protocol):
    def resolve(self, user: User) -> ManageScope:
        """The scope of an active, non-admin user (uncached; this module caches)."""

    def manager_user_ids(self) -> QuerySet:
        """``values("pk")`` of every user who is a sub-administrator (for a subquery)."""

    def member_group_ids(self) -> QuerySet:
        """``values("group_id")`` of the groups whose members are sub-administrators."""

    def grant_creator(self, actor: User, group: Group) -> None:
        """Make ``actor`` manage ``group`` and its descendants (they just created it)."""


_resolver: ScopeResolver | None = None


def register_resolver(resolver: ScopeResolver) -> None:
    global _resolver
    _resolver = resolver


def created_by_manager(actor, group: Group) -> None:
    """A sub-administrator created ``group`` (a category's root): the resolver gives them a
    manager group over it, so they can manage what they made (v1 did the same)."""
    if _resolver is not None and resolve_scope(actor).is_manager:
        _resolver.grant_creator(actor, group)


# --- the cache -----------------------------------------------------------------------------


def _fresh() -> int:
    return time.time_ns()  # a lost counter restarts at the clock, never at an old value


def _incr() -> None:
    cache.add(VERSION_KEY, _fresh(), timeout=None)
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # evicted between add and incr
        cache.set(VERSION_KEY, _fresh(), timeout=None)


def bump_scope_version() -> None:
    """Every cached scope becomes unreachable: at once (reads in this transaction) and on
    commit (anything a concurrent reader cached from pre-commit data)."""
    _incr()
    transaction.on_commit(_incr)


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh(), timeout=None)
        version = cache.get(VERSION_KEY, _fresh())
    return version


def _on_directory_change(sender, **kwargs) -> None:
    _incr()  # tree_changed is already sent at once and on commit; user_deleted on commit


tree_changed.connect(_on_directory_change, dispatch_uid="directory.scope.tree_changed")
user_deleted.connect(_on_directory_change, dispatch_uid="directory.scope.user_deleted")


def resolve_scope(user) -> ManageScope:
    """The actor's scope: ``NOBODY`` for anonymous or inactive users, everything for admins."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    if user.is_admin:
        return ManageScope(user_id=user.pk, is_admin=True)
    if _resolver is None:
        return ManageScope(user_id=user.pk)
    if not settings.SHARED_CACHE:  # a per-process cache would miss other processes' bumps
        return _resolver.resolve(user)
    key = f"scope:{user.uuid.hex}:{_version()}"
    scope = cache.get(key)
    if scope is None:
        scope = _resolver.resolve(user)
        cache.set(key, scope, timeout=SCOPE_TTL)
    return scope


core_permissions.register_scope_provider(resolve_scope)


# --- querysets -----------------------------------------------------------------------------


def top_paths(paths) -> tuple[str, ...]:
    """Drop paths inside another listed path (their subtree is already covered)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(top) for top in kept):
            kept.append(path)
    return tuple(sorted(kept))


def _subtree_q(paths, prefix: str = "") -> Q:
    condition = Q(pk__in=[])  # matches nothing when there are no paths
    for path in paths:
        condition |= Q(**{f"{prefix}path__startswith": path})
    return condition


def manageable_groups(actor, scope: ManageScope | None = None) -> QuerySet[Group]:
    scope = scope or resolve_scope(actor)
    if scope.is_admin:
        return Group.objects.all()
    if not scope.is_manager:
        return Group.objects.none()
    return Group.objects.filter(_subtree_q(scope.group_paths))


def manageable_users(actor, scope: ManageScope | None = None) -> QuerySet[User]:
    scope = scope or resolve_scope(actor)
    if scope.is_admin:
        return User.objects.all()
    if not scope.is_manager:
        return User.objects.none()
    condition = Q(pk__in=list(scope.user_ids)) if scope.user_ids else Q(pk__in=[])
    if scope.group_paths:
        members = Membership.objects.filter(_subtree_q(scope.group_paths, "group__")).values("user_id")
        condition |= Q(pk__in=members)
    return User.objects.filter(condition)


def changeable_users(actor, scope: ManageScope | None = None) -> QuerySet[User]:
    """Users the actor may change: for a sub-administrator the users in scope except
    administrators and sub-administrators (themselves included: they use their profile)."""
    scope = scope or resolve_scope(actor)
    users = manageable_users(actor, scope)
    if scope.is_admin or not scope.is_manager or _resolver is None:
        return users
    return users.filter(is_admin=False).exclude(pk__in=_resolver.manager_user_ids())


def can_manage_group(actor, group: Group, scope: ManageScope | None = None) -> bool:
    scope = scope or resolve_scope(actor)
    return scope.is_admin or (scope.is_manager and any(group.path.startswith(p) for p in scope.group_paths))


def can_manage_user(actor, user: User, *, for_write: bool = False) -> bool:
    scope = resolve_scope(actor)
    if scope.is_admin:
        return True
    users = changeable_users(actor, scope) if for_write else manageable_users(actor, scope)
    return users.filter(pk=user.pk).exists()


def can_change_user(actor, user: User) -> bool:
    """May ``actor`` change ``user``'s account (profile, password, memberships, deletion)?"""
    return can_manage_user(actor, user, for_write=True)


def out_of_scope_groups(actor, groups) -> list[Group]:
    """The given groups the actor may not manage (none for an administrator)."""
    scope = resolve_scope(actor)
    return [] if scope.is_admin else [g for g in groups if not can_manage_group(actor, g, scope)]


def out_of_scope_users(actor, users, *, for_write: bool = False) -> list[User]:
    """The given users the actor may not see (or change): one query for the whole list."""
    scope = resolve_scope(actor)
    if scope.is_admin or not users:
        return []
    reach = changeable_users(actor, scope) if for_write else manageable_users(actor, scope)
    inside = set(reach.filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
    return [u for u in users if u.pk not in inside]


def require_groups_in_scope(actor, groups, *, field: str) -> None:
    """400 naming every group outside the actor's scope (worded like an unknown uid, so a
    sub-administrator learns nothing about groups they cannot see)."""
    outside = out_of_scope_groups(actor, groups)
    if outside:
        names = ", ".join(g.node_uid for g in outside)
        raise ValidationError({field: [_("Unknown node(s) or outside your scope: %(uids)s.") % {"uids": names}]})


def require_plain_groups(actor, groups, *, field: str) -> None:
    """A sub-administrator may not change who belongs to a group whose members are
    sub-administrators: adding someone there would hand out management powers."""
    if resolve_scope(actor).is_admin or _resolver is None or not groups:
        return
    granting = set(
        _resolver.member_group_ids().filter(group_id__in=[g.pk for g in groups]).values_list("group_id", flat=True)
    )
    if granting:
        names = ", ".join(g.node_uid for g in groups if g.pk in granting)
        raise ValidationError({field: [_("Only administrators change the members of %(uids)s.") % {"uids": names}]})


def require_all_changeable(actor, users: QuerySet[User], *, field: str) -> None:
    """Like :func:`require_users_in_scope` for writes, for a queryset (one SQL query)."""
    scope = resolve_scope(actor)
    if scope.is_admin:
        return
    outside = list(
        users.exclude(pk__in=changeable_users(actor, scope).values("pk")).values_list("username", flat=True)[:20]
    )
    if outside:
        names = ", ".join(outside)
        raise ValidationError({field: [_("Unknown users or outside your scope: %(names)s.") % {"names": names}]})


def require_users_in_scope(actor, users, *, field: str, for_write: bool = False) -> None:
    outside = out_of_scope_users(actor, users, for_write=for_write)
    if outside:
        names = ", ".join(u.username for u in outside)
        raise ValidationError({field: [_("Unknown users or outside your scope: %(names)s.") % {"names": names}]})
