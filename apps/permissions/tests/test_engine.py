"""The rule table of docs/permissions.md, explain(), user_perms(), holders(), and that a check
right after every kind of change is already correct (cache versions)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.directory.actions import groups as group_actions
from apps.directory.actions import memberships
from apps.directory.actions.users import update_user
from apps.directory.models import User
from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions import engine
from apps.permissions.actions.statuses import set_group_perm_statuses, set_statuses, set_user_perm_statuses
from apps.permissions.tests.perm_factories import access_perm, make_app, make_perm, set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """dept: a > b > c, a > d; role: r."""
    a = create_test_group("A", uid="a")
    b = create_test_group("B", uid="b", parent=a)
    c = create_test_group("C", uid="c", parent=b)
    d = create_test_group("D", uid="d", parent=a)
    r = create_test_group("R", uid="r", type_key="role")
    return {"a": a, "b": b, "c": c, "d": d, "r": r}


@pytest.fixture
def app():
    return make_app("wiki")


@pytest.fixture
def perm(app):
    return make_perm(app, "edit")


def test_inactive_holds_nothing_and_admin_holds_everything(perm, admin_user):
    ghost = create_test_user("ghost", is_active=False, is_admin=True)
    set_status(perm, ghost, 1)
    assert engine.has_perm(ghost, perm) is False
    assert engine.user_perms(ghost) == set()
    assert engine.explain(ghost, perm)["decided_by"] == "inactive"
    assert engine.has_perm(admin_user, perm) is True
    assert engine.explain(admin_user, perm)["decided_by"] == "admin"
    assert perm.uid in engine.user_perms(admin_user) and "system_oneid_all" in engine.user_perms(admin_user)


def test_own_status_decides_outright(perm, user, tree):
    add_member(tree["a"], user)
    set_status(perm, tree["a"], 1)
    set_status(perm, user, -1)
    assert engine.has_perm(user, perm) is False
    assert engine.explain(user, perm)["decided_by"] == "user"
    other = create_test_user("bob")
    add_member(tree["a"], other)
    assert engine.has_perm(other, perm) is True


def test_own_grant_without_groups(perm, user):
    set_status(perm, user, 1)
    assert engine.has_perm(user, perm) is True
    assert engine.user_perms(user) == {perm.uid}


def test_nearest_status_on_the_path_wins(perm, tree):
    set_status(perm, tree["a"], 1)
    set_status(perm, tree["b"], -1)
    in_c, in_d, in_a = create_test_user("inc"), create_test_user("ind"), create_test_user("ina")
    add_member(tree["c"], in_c)
    add_member(tree["d"], in_d)
    add_member(tree["a"], in_a)
    assert engine.has_perm(in_c, perm) is False  # b's deny is nearer than a's grant
    assert engine.has_perm(in_d, perm) is True
    assert engine.has_perm(in_a, perm) is True
    why = engine.explain(in_c, perm)
    assert why == {
        "result": False,
        "decided_by": "groups",
        "status": 0,
        "sources": [{"node_uid": "d_b", "name": "B", "status": -1, "via": "d_c"}],
    }


def test_any_group_grant_is_enough(perm, tree, user):
    set_status(perm, tree["b"], -1)
    set_status(perm, tree["r"], 1)
    add_member(tree["c"], user)
    add_member(tree["r"], user)
    why = engine.explain(user, perm)
    assert why["result"] is True and why["decided_by"] == "groups"
    assert {s["via"] for s in why["sources"]} == {"d_c", "g_r"}


def test_no_status_anywhere_is_default_deny(perm, tree, user):
    add_member(tree["c"], user)
    assert engine.explain(user, perm) == {"result": False, "decided_by": "default", "status": 0, "sources": []}


def test_allow_any_user_access(tree, user, admin_user):
    open_app = make_app("open", allow_any_user=True)
    perm = access_perm(open_app)
    add_member(tree["c"], user)
    assert engine.explain(user, perm)["decided_by"] == "allow_any_user"
    assert engine.has_perm(user, perm) is True
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["b"], -1)])  # only group resolves to deny
    assert engine.has_perm(user, perm) is False
    memberships.add_members(tree["r"], [user], actor=admin_user)
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["r"], 1)])  # another group grants
    assert engine.has_perm(user, perm) is True
    stranger = create_test_user("stranger")  # no groups at all
    set_statuses(perm, actor=admin_user, user_statuses=[(stranger, -1)])
    assert engine.has_perm(stranger, perm) is False
    assert engine.has_perm(create_test_user("free"), perm) is True


def test_custom_perm_of_allow_any_app_is_not_open(user):
    open_app = make_app("open", allow_any_user=True)
    assert engine.has_perm(user, make_perm(open_app, "admin")) is False
    assert engine.user_perms(user) == {"app_open_access"}


def test_user_perms_filters_by_app(perm, app, user, tree):
    other = make_app("other")
    add_member(tree["c"], user)
    set_status(perm, tree["a"], 1)
    set_status(access_perm(other), user, 1)
    assert engine.user_perms(user) == {perm.uid, "app_other_access"}
    assert engine.user_perms(user, app=app) == {perm.uid}


def test_user_perms_query_count_does_not_grow_with_depth(perm, tree, user):
    deep = tree["c"]
    for i in range(6):
        deep = create_test_group(f"L{i}", parent=deep)
    add_member(deep, user)
    set_status(perm, tree["a"], 1)
    with CaptureQueriesContext(connection) as ctx:
        assert engine.user_perms(user) == {perm.uid}
    assert len(ctx.captured_queries) <= 4


def test_holders_and_sources(perm, tree):
    set_status(perm, tree["a"], 1)
    set_status(perm, tree["b"], -1)
    in_c, in_d, denied, granted = (create_test_user(n) for n in ("inc", "ind", "denied", "granted"))
    add_member(tree["c"], in_c)
    add_member(tree["d"], in_d)
    add_member(tree["d"], denied)
    set_status(perm, denied, -1)
    set_status(perm, granted, 1)
    create_test_user("off", is_active=False, is_admin=True)
    root = create_test_user("root", is_admin=True)
    holders = list(engine.holders(perm))
    assert [u.username for u in holders] == ["ind", "granted", "root"]
    assert [u.username for u in engine.holders(perm, keyword="GRAN")] == ["granted"]
    sources = engine.sources_for(perm, holders)
    assert sources[in_d.pk] == {"status": 0, "sources": [{"node_uid": "d_a", "name": "A", "status": 1, "via": "d_d"}]}
    assert sources[root.pk] == {"status": 0, "sources": []}


def test_holders_nested_grant_under_deny(perm, tree):
    set_status(perm, tree["a"], 1)
    set_status(perm, tree["b"], -1)
    set_status(perm, tree["c"], 1)
    in_b, in_c = create_test_user("inb"), create_test_user("inc")
    add_member(tree["b"], in_b)
    add_member(tree["c"], in_c)
    assert [u.username for u in engine.holders(perm)] == ["inc"]


def test_holders_of_allow_any_user_access(tree):
    perm = access_perm(make_app("open", allow_any_user=True))
    set_status(perm, tree["b"], -1)
    set_status(perm, tree["r"], 1)
    in_c, both, nobody = create_test_user("inc"), create_test_user("both"), create_test_user("nobody")
    add_member(tree["c"], in_c)
    add_member(tree["c"], both)
    add_member(tree["r"], both)
    assert {u.username for u in engine.holders(perm)} == {"both", "nobody"}
    assert engine.has_perm(in_c, perm) is False and engine.has_perm(nobody, perm) is True


# --- the cache: a check right after each kind of change is already correct ---------------


def test_status_changes_are_seen_at_once(perm, tree, user, admin_user):
    add_member(tree["c"], user)
    assert engine.has_perm(user, perm) is False  # cached now
    set_group_perm_statuses(tree["a"], [(perm, 1)], actor=admin_user)
    assert engine.has_perm(user, perm) is True
    set_statuses(perm, actor=admin_user, group_statuses=[(tree["b"], -1)])
    assert engine.has_perm(user, perm) is False
    set_user_perm_statuses(user, [(perm, 1)], actor=admin_user)
    assert engine.has_perm(user, perm) is True
    set_statuses(perm, actor=admin_user, clean=True)
    assert engine.has_perm(user, perm) is False


def test_membership_changes_are_seen_at_once(perm, tree, user, admin_user):
    set_status(perm, tree["d"], 1)
    assert engine.has_perm(user, perm) is False
    memberships.add_members(tree["d"], [user], actor=admin_user)
    assert engine.has_perm(user, perm) is True
    memberships.remove_members(tree["d"], [user], actor=admin_user)
    assert engine.has_perm(user, perm) is False


def test_group_move_is_seen_at_once(perm, tree, user, admin_user):
    set_status(perm, tree["d"], 1)
    add_member(tree["c"], user)
    assert engine.has_perm(user, perm) is False
    group_actions.move_group(tree["b"], tree["d"], actor=admin_user)
    user.refresh_from_db()
    assert engine.has_perm(user, perm) is True


def test_group_delete_is_seen_at_once(perm, tree, user, admin_user):
    set_status(perm, tree["a"], 1)
    set_status(perm, tree["d"], -1)
    add_member(tree["d"], user)
    add_member(tree["b"], user)
    assert engine.has_perm(user, perm) is True
    memberships.remove_members(tree["b"], [user], actor=admin_user)
    assert engine.has_perm(user, perm) is False
    set_status(perm, tree["c"], 1)
    group_actions.delete_group(tree["c"], actor=admin_user)
    assert engine.has_perm(user, perm) is False
    leaf = create_test_group("Leaf", parent=tree["d"])
    set_status(perm, leaf, 1)
    add_member(leaf, user)
    engine.has_perm(user, perm)
    memberships.remove_members(leaf, [user], actor=admin_user)
    group_actions.delete_group(leaf, actor=admin_user)
    assert engine.has_perm(user, perm) is False


def test_activation_and_admin_changes_are_seen_at_once(perm, user, admin_user):
    assert engine.has_perm(user, perm) is False
    # No action changes is_admin yet (ensure_admin does); the engine reads the flag live.
    User.objects.filter(pk=user.pk).update(is_admin=True)
    user.refresh_from_db()
    assert engine.has_perm(user, perm) is True
    User.objects.filter(pk=user.pk).update(is_admin=False)
    user.refresh_from_db()
    assert engine.has_perm(user, perm) is False
    set_user_perm_statuses(user, [(perm, 1)], actor=admin_user)
    assert engine.has_perm(user, perm) is True
    user = update_user(user, {"is_active": False}, actor=admin_user)
    assert engine.has_perm(user, perm) is False
    user = update_user(user, {"is_active": True}, actor=admin_user)
    assert engine.has_perm(user, perm) is True


def test_allow_any_user_toggle_is_seen_at_once(user):
    app = make_app("toggle")
    perm = access_perm(app)
    assert engine.has_perm(user, perm) is False
    app.allow_any_user = True
    app.save()
    assert engine.has_perm(user, access_perm(app)) is True


def test_warm_check_needs_no_query(perm, tree, user):
    add_member(tree["c"], user)
    set_status(perm, tree["a"], 1)
    assert engine.has_perm(user, perm) is True
    with CaptureQueriesContext(connection) as ctx:
        assert engine.has_perm(user, perm) is True
    assert ctx.captured_queries == []


@pytest.mark.parametrize("shared_cache", [False, True])
def test_batched_app_check_agrees_with_has_perm_cold_warm_and_after_changes(
    settings, user, tree, shared_cache, admin_user
):
    """``has_perms_of_app`` (the token check's batch) gives has_perm's answers, from a cold and
    a warm cache, and right after a status change (its keys share has_perm's versions)."""
    settings.SHARED_CACHE = shared_cache
    app = make_app("batch", allow_any_user=True)
    edit, view = make_perm(app, "edit"), make_perm(app, "view")
    add_member(tree["c"], user)
    set_status(edit, tree["a"], 1)
    set_status(view, tree["a"], 1)
    set_status(view, tree["b"], -1)
    perms = [access_perm(app), edit, view]
    rows = [(p.pk, p.uuid, p.uid, p.kind) for p in perms]

    def both():
        return engine.has_perms_of_app(user, app, rows), [engine.has_perm(user, p) for p in perms]

    batched, single = both()
    assert batched == single == [True, True, False]
    assert engine.has_perms_of_app(user, app, rows) == [True, True, False]  # warm
    set_user_perm_statuses(user, [(edit, -1), (view, 1)], actor=admin_user)
    batched, single = both()
    assert batched == single == [True, False, True]
    ghost = create_test_user("ghost2", is_active=False)
    assert engine.has_perms_of_app(ghost, app, rows) == [False, False, False]
    assert engine.has_perms_of_app(admin_user, app, rows) == [True, True, True]
