"""Property-based check of the engine against a slow, obviously-correct reference.

Random forests (department, role and label trees), memberships, user and group statuses,
allow_any_user apps and inactive or admin users; has_perm, user_perms and holders must all
agree with :func:`reference`, which walks parent pointers in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions import engine
from apps.permissions.tests.perm_factories import access_perm, make_app, make_perm, set_status

TYPES = ["department", "role", "label"]


@dataclass
class World:
    parents: list[int | None]  # index of the parent group, None for a child of a type root
    root_types: list[int]  # for groups without a parent: which type they hang under
    users: list[tuple[bool, bool]]  # (is_active, is_admin)
    memberships: set[tuple[int, int]]  # (user index, group index)
    group_statuses: dict[int, int]
    user_statuses: dict[int, int]
    allow_any: bool
    access: bool  # the app's access perm (else a custom perm)


@st.composite
def worlds(draw) -> World:
    n_groups = draw(st.integers(1, 10))
    parents = [draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None for i in range(n_groups)]
    root_types = [draw(st.integers(0, len(TYPES) - 1)) for _ in range(n_groups)]
    user = st.tuples(st.sampled_from([True, True, True, False]), st.sampled_from([False] * 5 + [True]))
    users = draw(st.lists(user, min_size=1, max_size=6))
    pairs = st.tuples(st.integers(0, len(users) - 1), st.integers(0, n_groups - 1))
    return World(
        parents=parents,
        root_types=root_types,
        users=users,
        memberships=draw(st.sets(pairs, max_size=12)),
        group_statuses=draw(st.dictionaries(st.integers(0, n_groups - 1), st.sampled_from([-1, 1]), max_size=5)),
        user_statuses=draw(st.dictionaries(st.integers(0, len(users) - 1), st.sampled_from([-1, 1]), max_size=3)),
        allow_any=draw(st.booleans()),
        access=draw(st.booleans()),
    )


def reference(world: World, u: int) -> bool:
    active, admin = world.users[u]
    if not active:
        return False
    if admin:
        return True
    if u in world.user_statuses:
        return world.user_statuses[u] == 1
    resolved = []
    for member, g in world.memberships:
        if member != u:
            continue
        node = g
        while node is not None and node not in world.group_statuses:
            node = world.parents[node]
        if node is not None:
            resolved.append(world.group_statuses[node])
    if 1 in resolved:
        return True
    if world.allow_any and world.access:
        return -1 not in resolved
    return False


def build(world: World):
    app, perm, users, _groups = build_with_groups(world)
    return app, perm, users


def build_with_groups(world: World):
    groups = []
    for i, parent in enumerate(world.parents):
        if parent is None:
            groups.append(create_test_group(type_key=TYPES[world.root_types[i]]))
        else:
            groups.append(create_test_group(parent=groups[parent]))
    users = [create_test_user(is_active=a, is_admin=adm) for a, adm in world.users]
    for u, g in world.memberships:
        add_member(groups[g], users[u])
    app = make_app(allow_any_user=world.allow_any)
    perm = access_perm(app) if world.access else make_perm(app, "edit")
    for g, s in world.group_statuses.items():
        set_status(perm, groups[g], s)
    for u, s in world.user_statuses.items():
        set_status(perm, users[u], s)
    return app, perm, users, groups


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(world=worlds())
def test_engine_matches_reference(world: World):
    with transaction.atomic():
        app, perm, users = build(world)
        expected = {u.username for i, u in enumerate(users) if reference(world, i)}
        for i, user in enumerate(users):
            want = reference(world, i)
            assert engine.has_perm(user, perm) is want, (i, world)
            assert engine.has_perm(user, perm) is want  # now from the cache
            assert engine.explain(user, perm)["result"] is want
            assert (perm.uid in engine.user_perms(user, app=app)) is want
        assert {u.username for u in engine.holders(perm)} & {u.username for u in users} == expected
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(world=worlds(), data=st.data())
def test_holders_list_shape(world: World, data):
    """The holders query is a candidate list (UNION of the region's members, own grants and
    administrators) on one shape and a per-user condition on the other: each holder once, in
    id order, and the keyword search narrows the same set."""
    with transaction.atomic():
        _app, perm, users = build(world)
        expected = {u.pk for i, u in enumerate(users) if reference(world, i)}
        mine = {u.pk for u in users}
        ids = [pk for pk in engine.holders(perm).values_list("id", flat=True) if pk in mine]
        assert ids == sorted(expected)
        picked = users[data.draw(st.integers(0, len(users) - 1))]
        found = {u.pk for u in engine.holders(perm, keyword=picked.username)} & mine
        assert found <= expected
        assert (picked.pk in found) is (picked.pk in expected)
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(world=worlds(), data=st.data())
def test_scope_filter_matches_manageable_users(world: World, data):
    """The sub-administrator's scope, probed per row (EXISTS), selects the same holders and the
    same white/black list rows as the scope's member list (``manageable_users``)."""
    from apps.directory.models import User
    from apps.directory.scope import ManageScope, manageable_users
    from apps.permissions.models import PermissionStatus
    from apps.permissions.queries import perms as perm_queries

    with transaction.atomic():
        _app, perm, users, groups = build_with_groups(world)
        tops = data.draw(st.sets(st.integers(0, len(groups) - 1), max_size=3))
        named = data.draw(st.sets(st.integers(0, len(users) - 1), max_size=2))
        paths = tuple(sorted(groups[i].path for i in tops))
        named_ids = tuple(users[i].pk for i in named)
        scope = ManageScope(manager_group_ids=(1,), group_paths=paths, user_ids=named_ids)
        mine = {u.pk for u in users}
        reach = set(manageable_users(None, scope).values_list("pk", flat=True)) & mine
        in_scope = perm_queries._in_scope(scope, "pk")
        assert set(User.objects.filter(in_scope).values_list("pk", flat=True)) & mine == reach
        holders = {u.pk for u in engine.holders(perm).filter(in_scope)} & mine
        assert holders == {u.pk for i, u in enumerate(users) if reference(world, i)} & reach
        rows = PermissionStatus.objects.filter(perm=perm, user__isnull=False)
        scoped_rows = rows.filter(perm_queries._in_scope(scope, "user_id"))
        assert set(scoped_rows.values_list("user_id", flat=True)) == set(rows.values_list("user_id", flat=True)) & reach
        transaction.set_rollback(True)
