"""Tree structure: moves (path rewrite of whole subtrees), sorting, and the path-based queries."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from apps.audit.models import Action, Event
from apps.core.exceptions import DomainError
from apps.directory.actions import groups as groups_actions
from apps.directory.actions.group_types import create_group_type
from apps.directory.actions.groups import adopt_groups, create_group, move_group, sort_children
from apps.directory.models import Group
from apps.directory.queries import groups as queries
from apps.directory.tests.factories import add_member, create_test_group, create_test_user, group_type

pytestmark = pytest.mark.django_db


def build_chain(names, parent=None):
    """a > b > c ...: each a child of the previous one."""
    groups = []
    for name in names:
        parent = create_test_group(name, uid=name, parent=parent)
        groups.append(parent)
    return groups


def assert_paths_consistent():
    """Every group's path is its parent's path plus its own pk, and its depth matches."""
    by_id = {g.pk: g for g in Group.objects.all()}
    for group in by_id.values():
        if group.parent_id is None:
            assert group.path == f"/{group.pk}/" and group.depth == 0
        else:
            parent = by_id[group.parent_id]
            assert group.path == f"{parent.path}{group.pk}/", group.uid
            assert group.depth == parent.depth + 1, group.uid


@pytest.fixture
def root():
    return group_type("department").root


def test_move_rewrites_deep_subtree(admin_user, root):
    a, b, c, d, e = build_chain(["a", "b", "c", "d", "e"])
    x, y = build_chain(["x", "y"])
    sibling = create_test_group("c2", uid="c2", parent=b)
    move_group(c, y, actor=admin_user)
    for group in (a, b, c, d, e, x, y, sibling):
        group.refresh_from_db()
    assert c.parent_id == y.pk
    assert c.path == f"{root.path}{x.pk}/{y.pk}/{c.pk}/" and c.depth == 3
    assert e.path == f"{root.path}{x.pk}/{y.pk}/{c.pk}/{d.pk}/{e.pk}/" and e.depth == 5
    assert sibling.path == f"{root.path}{a.pk}/{b.pk}/{sibling.pk}/"  # untouched
    assert_paths_consistent()
    # And back up near the root, shallower this time.
    move_group(d, root, actor=admin_user)
    e.refresh_from_db()
    assert e.path == f"{root.path}{d.pk}/{e.pk}/" and e.depth == 2
    assert_paths_consistent()


def test_move_does_not_touch_groups_sharing_a_textual_prefix(admin_user, root):
    # Paths are compared with their trailing slash, so /1/2/ never matches /1/23/.
    # Explicit, large pks (far beyond the sequences) so "/1/70001" is a textual prefix of "/1/700012/".
    moved = create_test_group("moved", uid="moved", pk=70001)
    lookalike = create_test_group("lookalike", uid="lookalike", pk=700012)
    lookalikes = [lookalike, create_test_group("below", uid="below", parent=lookalike, pk=7000123)]
    target = create_test_group("target", uid="target")
    before = {g.pk: g.path for g in lookalikes}
    move_group(moved, target, actor=admin_user)
    assert {g.pk: Group.objects.get(pk=g.pk).path for g in lookalikes} == before
    assert_paths_consistent()


def test_move_appends_to_new_siblings_and_audits(admin_user, root):
    a = create_test_group("a", uid="a")
    b = create_test_group("b", uid="b")
    create_test_group("b1", parent=b, order=4)
    move_group(a, b, actor=admin_user)
    a.refresh_from_db()
    assert a.order == 5
    event = Event.objects.get(action=Action.GROUP_MOVED)
    assert event.changes == {"parent": ["d_root", "d_b"]} and event.detail == {"node_uid": "d_a"}
    move_group(a, b, actor=admin_user, order=0)
    a.refresh_from_db()
    assert a.order == 0


def test_move_to_same_parent_without_order_is_a_no_op(admin_user):
    a = create_test_group("a")
    move_group(a, a.parent, actor=admin_user)
    assert not Event.objects.filter(action=Action.GROUP_MOVED).exists()


def test_move_refusals(admin_user, root):
    a, b, c = build_chain(["a", "b", "c"])
    role = create_test_group("r", type_key="role")
    cases = [(a, c, "deadlock"), (a, a, "deadlock"), (b, role, "across_scope"), (root, a, "root")]
    for group, target, code in cases:
        with pytest.raises(DomainError) as err:
            move_group(group, target, actor=admin_user)
        assert (err.value.code, err.value.field) == (code, "node")
        assert err.value.message and err.value.message != code  # a sentence for humans
    assert not Event.objects.filter(action=Action.GROUP_MOVED).exists()
    assert_paths_consistent()


def test_paths_never_outgrow_the_column(admin_user, monkeypatch):
    a, b, c = build_chain(["a", "b", "c"])
    x = create_test_group("x", uid="x")
    monkeypatch.setattr(groups_actions, "PATH_MAX_LENGTH", len(c.path))  # c's path would grow by x's segment
    with pytest.raises(DomainError, match="too deep"):
        move_group(a, x, actor=admin_user)
    move_group(c, x, actor=admin_user)  # a shallower subtree still fits
    with pytest.raises(DomainError, match="too deep"):
        create_group(actor=admin_user, parent=b, name="deeper")
    assert_paths_consistent()


def test_move_uses_fresh_paths_after_an_earlier_move(admin_user):
    """Instances loaded before a move hold stale paths; the action re-reads them under lock."""
    a, b = build_chain(["a", "b"])
    x = create_test_group("x", uid="x")
    stale_b = Group.objects.get(pk=b.pk)
    move_group(a, x, actor=admin_user)
    # b moved with a; moving x under the stale b must still be seen as a cycle.
    with pytest.raises(DomainError) as err:
        move_group(x, stale_b, actor=admin_user)
    assert err.value.code == "deadlock"


def test_adopt_groups_moves_each_in_order(admin_user, root):
    target = create_test_group("target")
    a, b = create_test_group("a"), create_test_group("b")
    adopt_groups(target, [a, b, a], actor=admin_user)
    assert list(queries.children(target)) == [a, b]
    assert Event.objects.filter(action=Action.GROUP_MOVED).count() == 2


def test_sort_children_puts_listed_first(admin_user, root):
    parent = create_test_group("p")
    kids = [create_test_group(f"k{i}", parent=parent, order=i) for i in range(4)]
    sort_children(parent, [kids[2], kids[0]], actor=admin_user)
    assert list(queries.children(parent)) == [kids[2], kids[0], kids[1], kids[3]]
    event = Event.objects.get(action=Action.GROUPS_SORTED)
    assert event.detail["order"] == [kids[2].node_uid, kids[0].node_uid]


def test_sort_children_refuses_strangers(admin_user):
    parent = create_test_group("p")
    stranger = create_test_group("s")
    with pytest.raises(DomainError) as err:
        sort_children(parent, [stranger], actor=admin_user)
    assert err.value.code == "unrelated" and stranger.node_uid in err.value.message


# --- queries ---------------------------------------------------------------------------


def test_descendants_ancestors_children(django_assert_num_queries, root):
    a, b, c = build_chain(["a", "b", "c"])
    b2 = create_test_group("b2", uid="b2", parent=a)
    with django_assert_num_queries(1):
        assert list(queries.descendants(a)) == [b, b2, c]
    assert list(queries.descendants(a, include_self=True)) == [a, b, b2, c]
    with django_assert_num_queries(1):
        assert list(queries.ancestors(c)) == [root, a, b]
    assert list(queries.ancestors(root)) == []
    assert list(queries.children(a)) == [b, b2]


def test_subtree_headcount_counts_distinct_users(django_assert_num_queries):
    a, b, c = build_chain(["a", "b", "c"])
    alice, bob = create_test_user("alice"), create_test_user("bob")
    add_member(a, alice)
    add_member(c, alice)  # counted once
    add_member(c, bob)
    add_member(create_test_group("elsewhere"), create_test_user("carol"))
    with django_assert_num_queries(1):
        assert queries.subtree_headcount(a) == 2
    assert queries.subtree_headcount(b) == 2
    assert queries.subtree_headcount(c) == 2


def test_resolve_node_uid_checks_the_prefix(root):
    create_test_group("Sales", uid="sales")
    role = create_test_group("Boss", uid="boss", type_key="role")
    assert queries.resolve_node_uid("d_sales").uid == "sales"
    assert queries.resolve_node_uid("d_root") == root
    assert queries.resolve_node_uid("g_boss") == role
    from django.http import Http404

    for bad in ("g_sales", "d_boss", "x_sales", "sales", "d_", "d_missing"):
        with pytest.raises(Http404):
            queries.resolve_node_uid(bad)


def test_resolve_node_uids_reports_missing(django_assert_num_queries):
    create_test_group("Sales", uid="sales")
    with django_assert_num_queries(1):
        found, missing = queries.resolve_node_uids(["d_sales", "g_sales", "d_nope", "g_role"])
    assert [g.node_uid for g in found] == ["d_sales", "g_role"]
    assert missing == ["g_sales", "d_nope"]


# --- concurrency (PostgreSQL row locks) ---------------------------------------------------


def _run_together(*jobs) -> list:
    """Run the jobs in threads released at the same moment; each returns its result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_crossing_moves_cannot_make_a_cycle():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set ARKID_DATABASE_URL)")
    admin = create_test_user("chief", is_admin=True)
    tree = create_group_type(actor=admin, name="Race", key="race")
    a = create_group(actor=admin, parent=tree.root, name="a", uid="race-a")
    b = create_group(actor=admin, parent=tree.root, name="b", uid="race-b")
    results = _run_together(
        lambda: move_group(a, b, actor=admin),
        lambda: move_group(b, a, actor=admin),
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code == "deadlock", results
    assert_paths_consistent()


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_create_during_a_move_gets_the_new_path():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set ARKID_DATABASE_URL)")
    admin = create_test_user("chief", is_admin=True)
    tree = create_group_type(actor=admin, name="Race", key="race")
    a = create_group(actor=admin, parent=tree.root, name="a", uid="race-a")
    a1 = create_group(actor=admin, parent=a, name="a1", uid="race-a1")
    b = create_group(actor=admin, parent=tree.root, name="b", uid="race-b")
    results = _run_together(
        lambda: move_group(a, b, actor=admin),
        lambda: create_group(actor=admin, parent=a1, name="new", uid="race-new"),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    new = Group.objects.get(uid="race-new")
    assert new.path == f"{tree.root.path}{b.pk}/{a.pk}/{a1.pk}/{new.pk}/"
    assert_paths_consistent()
