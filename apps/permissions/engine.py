"""Who holds which permission, computed from the sparse explicit statuses.

The rules (docs/permissions.md has the full table):

1. An inactive user holds nothing; an administrator holds everything.
2. The user's own status (1 grant / -1 deny) decides outright.
3. Otherwise each group the user is a direct member of resolves to the status of the nearest
   group on its path that has one (itself, then its parent, ... up to the root), or to
   nothing. The user holds the permission when any of those groups resolves to grant.
4. The access permission of an ``allow_any_user`` app is held by every active user unless
   their own status is deny, or no group of theirs resolves to grant and at least one
   resolves to deny.

Everything is set-based over the materialised paths: one query for the user's memberships
(with paths), one for the statuses of those groups and all their ancestors, whatever the
depth. ``holders`` turns the same rule into one SQL condition over users.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from apps.directory.models import Group, Membership, User
from apps.permissions import cache
from apps.permissions.models import App, Permission, PermissionStatus

GRANT, DENY = PermissionStatus.GRANT, PermissionStatus.DENY


@dataclass(frozen=True)
class Resolution:
    """How one of the user's direct groups resolved: ``source_id`` is the group whose explicit
    status was found on ``via_id``'s path."""

    via_id: int
    source_id: int
    status: int


def _ids_in_path(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def allows_any_user(perm: Permission) -> bool:
    return perm.kind == Permission.Kind.ACCESS and perm.app_id is not None and perm.app.allow_any_user


def decide(own: int | None, group_statuses: Iterable[int], allow_any: bool) -> tuple[bool, str]:
    """The rule table for an active non-admin: (result, decided_by)."""
    if own in (GRANT, DENY):
        return own == GRANT, "user"
    resolved = set(group_statuses)
    if GRANT in resolved:
        return True, "groups"
    if DENY in resolved:
        return False, "groups"
    return (True, "allow_any_user") if allow_any else (False, "default")


def _memberships(user_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """{user id: [(direct group id, path)]} in one query."""
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, group_id, path in Membership.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "group_id", "group__path"
    ):
        found[user_id].append((group_id, path))
    return found


def resolve_groups(groups: list[tuple[int, str]], explicit: dict[int, int]) -> list[Resolution]:
    """Resolve each (group id, path) against ``{group id: status}`` by walking up its path."""
    resolutions = []
    for group_id, path in groups:
        for ancestor_id in reversed(_ids_in_path(path)):
            if ancestor_id in explicit:
                resolutions.append(Resolution(group_id, ancestor_id, explicit[ancestor_id]))
                break
    return resolutions


def _up_ids(groups: list[tuple[int, str]]) -> set[int]:
    return {pk for _, path in groups for pk in _ids_in_path(path)}


@dataclass(frozen=True)
class Versions:
    """The cache versions read *before* the data a result is computed from (see cache.py)."""

    perm: int
    tree: int


def _statuses_from_db(user: User, perm: Permission, groups: list[tuple[int, str]]) -> tuple[int | None, dict]:
    """(the user's own status, {group id: status} on the paths of their groups): two queries."""
    own = PermissionStatus.objects.filter(perm=perm, user=user).values_list("status", flat=True).first()
    explicit = dict(
        PermissionStatus.objects.filter(perm=perm, group_id__in=_up_ids(groups)).values_list("group_id", "status")
    )
    return own, explicit


def _inputs(user: User, perm: Permission, versions: Versions | None) -> tuple[int | None, list, dict]:
    """(own status, the user's (group id, path) list, {group id: status}) for a result. With
    ``versions`` the user's groups and the permission's statuses come from the cache when
    there (read in one round trip), so the first check after a change needs no query."""
    if versions is None:  # explain(): straight from the database
        groups = _memberships([user.pk]).get(user.pk, [])
        own, explicit = _statuses_from_db(user, perm, groups)
        return own, groups, explicit
    groups_key = cache.groups_key(user, versions.tree)
    statuses_key = cache.statuses_key(perm.uuid, versions.perm)
    found = cache.get_many([groups_key, statuses_key])
    groups = found.get(groups_key)
    if groups is None:
        groups = _memberships([user.pk]).get(user.pk, [])
        cache.put(groups_key, groups, timeout=cache.GROUPS_TTL)
    statuses = found.get(statuses_key)
    if statuses is None:
        statuses = cache.load_statuses(perm.pk)
        cache.put(statuses_key, statuses, timeout=cache.STATUSES_TTL)
    if statuses == cache.TOO_MANY:
        own, explicit = _statuses_from_db(user, perm, groups)
        return own, groups, explicit
    users, explicit = statuses
    return users.get(user.uuid), groups, explicit


def _evaluate(
    user: User, perm: Permission, versions: Versions | None = None
) -> tuple[bool, str, int | None, list[Resolution]]:
    own, groups, explicit = _inputs(user, perm, versions)
    resolutions = resolve_groups(groups, explicit)
    result, decided_by = decide(own, (r.status for r in resolutions), allows_any_user(perm))
    return result, decided_by, own, resolutions


def has_perm(user: User, perm: Permission) -> bool:
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    allow_any = allows_any_user(perm)
    (perm_version,), tree_version = cache.perm_versions([perm.pk])
    key = cache.result_key(user, perm.uuid, allow_any, perm_version, tree_version)
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = _evaluate(user, perm, Versions(perm_version, tree_version))[0]
    cache.put(key, result)
    return result


def has_perms_of_app(user: User, app: App, rows: list[tuple]) -> list[bool]:
    """:func:`has_perm` for every permission of ``app``, given as ``(id, uuid, uid, kind)``
    rows (the token check's cached list), in two cache round trips when all results are
    cached: the check asks about every permission of an app on every request the app serves,
    so neither a round trip per permission nor a model instance per row is affordable there;
    a ``Permission`` is built only to evaluate a miss."""
    if not user.is_active:
        return [False] * len(rows)
    if user.is_admin:
        return [True] * len(rows)
    access = Permission.Kind.ACCESS
    perm_versions, tree_version = cache.perm_versions([pk for pk, _uuid, _uid, _kind in rows])
    keys = [
        cache.result_key(user, uuid, kind == access and app.allow_any_user, version, tree_version)
        for (_pk, uuid, _uid, kind), version in zip(rows, perm_versions, strict=True)
    ]
    found = cache.get_many(keys)
    results = []
    for (pk, uuid, uid, kind), key, version in zip(rows, keys, perm_versions, strict=True):
        result = found.get(key)
        if result is None:
            perm = Permission(id=pk, uuid=uuid, uid=uid, kind=kind, app=app)
            result = _evaluate(user, perm, Versions(version, tree_version))[0]
            cache.put(key, result)
        results.append(result)
    return results


def _describe(resolutions: list[Resolution]) -> list[dict]:
    ids = {r.source_id for r in resolutions} | {r.via_id for r in resolutions}
    groups = Group.objects.select_related("type").in_bulk(ids)
    return [
        {
            "node_uid": groups[r.source_id].node_uid,
            "name": groups[r.source_id].name,
            "status": r.status,
            "via": groups[r.via_id].node_uid,
        }
        for r in resolutions
    ]


def explain(user: User, perm: Permission) -> dict:
    """The result and why: who decided and every group status that applies to the user."""
    if not user.is_active:
        return {"result": False, "decided_by": "inactive", "status": None, "sources": []}
    result, decided_by, own, resolutions = _evaluate(user, perm)
    if user.is_admin:
        result, decided_by = True, "admin"
    return {"result": result, "decided_by": decided_by, "status": own or 0, "sources": _describe(resolutions)}


def user_perms(user: User, app=None) -> set[str]:
    """The uids of every permission the user holds (of one app when given)."""
    if not user.is_active:
        return set()
    perms = Permission.objects.all() if app is None else Permission.objects.filter(app=app)
    if user.is_admin:
        return set(perms.values_list("uid", flat=True))
    statuses = PermissionStatus.objects.all() if app is None else PermissionStatus.objects.filter(perm__app=app)
    own = {uid: status for uid, status in statuses.filter(user=user).values_list("perm__uid", "status")}
    groups = _memberships([user.pk]).get(user.pk, [])
    explicit: dict[str, dict[int, int]] = defaultdict(dict)
    for uid, group_id, status in statuses.filter(group_id__in=_up_ids(groups)).values_list(
        "perm__uid", "group_id", "status"
    ):
        explicit[uid][group_id] = status
    allow_any = set(perms.filter(kind=Permission.Kind.ACCESS, app__allow_any_user=True).values_list("uid", flat=True))
    held = set()
    for uid in set(own) | set(explicit) | allow_any:
        resolved = (r.status for r in resolve_groups(groups, explicit.get(uid, {})))
        if decide(own.get(uid), resolved, uid in allow_any)[0]:
            held.add(uid)
    return held


def _region(field: str, inside: list[str], holes: list[str]) -> Q:
    """Groups (by their ``field`` path) below one of ``inside`` whose nearest explicit status
    on the way up is not one of ``holes``: the subtree of each ``inside`` path minus the
    subtrees of the ``holes`` strictly below it (a deeper ``inside`` re-opens, since it is
    its own term of the union)."""
    region = Q(pk__in=[])
    for top in inside:
        term = Q(**{f"{field}__startswith": top})
        for hole in holes:
            if hole != top and hole.startswith(top):
                term &= ~Q(**{f"{field}__startswith": hole})
        region |= term
    return region


def _members_of(region: Q) -> QuerySet:
    """User ids with a direct membership in a group of ``region`` (a Q over ``path``): the
    region's group ids are one small subquery (a scan of the path index), and memberships are
    probed by group id through the covering (group_id, user_id) index; joining membership to
    group instead would visit every membership row."""
    return (
        Membership.objects.filter(group_id__in=Group.objects.filter(region).values("pk")).order_by().values("user_id")
    )


def holders(perm: Permission, keyword: str = "") -> QuerySet[User]:
    """Active users holding ``perm``, as one SQL condition (paginate it freely)."""
    explicit = list(
        PermissionStatus.objects.filter(perm=perm, group__isnull=False).values_list("group__path", "status")
    )
    grant_paths = [p for p, s in explicit if s == GRANT]
    deny_paths = [p for p, s in explicit if s == DENY]
    by_user = PermissionStatus.objects.filter(perm=perm, user__isnull=False).order_by()
    own_grant = by_user.filter(status=GRANT).values("user_id")
    own_deny = by_user.filter(status=DENY).values("user_id")
    in_granted = _members_of(_region("path", grant_paths, deny_paths))
    admins = User.objects.filter(is_admin=True).order_by().values("pk")
    if allows_any_user(perm):
        # Nearly everyone holds it: the holders cannot be listed as candidates, so the
        # condition is checked while walking the users in id order (a page stops early).
        in_denied = _members_of(_region("path", deny_paths, grant_paths))
        via_groups = Q(pk__in=in_granted) | ~Q(pk__in=in_denied)
        condition = Q(is_admin=True) | Q(pk__in=own_grant) | (~Q(pk__in=own_deny) & via_groups)
    else:
        # Only candidates can hold it: one id list (the granted region's members who did not
        # deny themselves, own grants, administrators) drives the page by primary key, in id
        # order, instead of testing every user against three subqueries.
        candidates = in_granted.exclude(user_id__in=own_deny).union(own_grant, admins)
        condition = Q(pk__in=candidates)
    users = User.objects.filter(condition, is_active=True)
    if keyword:
        users = users.filter(Q(username__icontains=keyword) | Q(name__icontains=keyword))
    return users.order_by("id")


def sources_for(perm: Permission, users: list[User]) -> dict[int, dict]:
    """For a page of users: {user id: {"status": own, "sources": [...]}} in four queries."""
    user_ids = [u.pk for u in users]
    own = dict(PermissionStatus.objects.filter(perm=perm, user_id__in=user_ids).values_list("user_id", "status"))
    groups = _memberships(user_ids)
    up_ids = set().union(*(_up_ids(g) for g in groups.values())) if groups else set()
    explicit = dict(PermissionStatus.objects.filter(perm=perm, group_id__in=up_ids).values_list("group_id", "status"))
    resolutions = {pk: resolve_groups(groups.get(pk, []), explicit) for pk in user_ids}
    described = _describe([r for rs in resolutions.values() for r in rs])
    out, i = {}, 0
    for pk in user_ids:
        count = len(resolutions[pk])
        out[pk] = {"status": own.get(pk, 0), "sources": described[i : i + count]}
        i += count
    return out
