"""Directory changes show in LDAP within a second, applied row by row by the change feed."""

from __future__ import annotations

import contextlib
import time

import ldap3

from apps.directory.actions import memberships, users
from apps.directory.tests.factories import create_test_group, create_test_user
from apps.ldap_server.models import Change
from apps.ldap_server.tests.conftest import BASE, PEOPLE, connect


def eventually(check, within: float = 1.0):
    """Poll ``check`` until true; the server applies changes on its own timer (no sync())."""
    deadline = time.monotonic() + within
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not visible within {within}s")
        time.sleep(0.02)


def search(conn, flt, base=PEOPLE, attrs=("uid",)):
    conn.search(base, flt, search_scope=ldap3.SUBTREE, attributes=list(attrs))
    return conn.entries


def test_changes_show_within_a_second(tree, live_ldap, admin_user):
    conn = connect(live_ldap)
    frank = create_test_user("frank", name="Frank")
    eventually(lambda: len(search(conn, "(uid=frank)")) == 1)

    users.update_user(tree["bob"], actor=admin_user, fields={"name": "Robert Stone"})
    eventually(lambda: [str(e.cn) for e in search(conn, "(uid=bob)", attrs=["cn"])] == ["Robert Stone"])

    memberships.add_members(tree["backend"], [frank], actor=admin_user)
    group_dn = f"cn=backend,cn=eng,ou=dept,{BASE}"
    eventually(lambda: {str(e.uid) for e in search(conn, f"(memberOf={group_dn})")} == {"bob", "frank"})

    memberships.remove_members(tree["backend"], [tree["bob"]], actor=admin_user)
    eventually(lambda: {str(e.uid) for e in search(conn, f"(memberOf={group_dn})")} == {"frank"})

    tree["bob"].is_active = False
    tree["bob"].save()
    eventually(lambda: search(conn, "(uid=bob)") == [])

    ops = create_test_group("Ops", uid="ops", parent=tree["eng"])
    eventually(lambda: len(search(conn, "(cn=ops)", base=BASE)) == 1)
    ops.delete()
    eventually(lambda: search(conn, "(cn=ops)", base=BASE) == [])

    users.delete_user(frank, actor=admin_user)
    eventually(lambda: search(conn, "(uid=frank)") == [])


def test_a_change_rewrites_only_its_rows(tree, live_ldap):
    live_ldap.sync()
    view = live_ldap.server.view
    carol_before = view.get(f"uid=carol,{PEOPLE}")
    alice = tree["alice"]
    alice.name = "Alice L."
    alice.save()
    assert Change.objects.filter(kind="user", object_id=alice.pk).exists()
    live_ldap.sync()
    assert view.get(f"uid=carol,{PEOPLE}") is carol_before  # untouched entry object
    assert view.get(f"uid=alice,{PEOPLE}").attrs["cn"][1] == ["Alice L."]


def test_a_rolled_back_change_writes_no_change_row(tree, live_ldap):
    from django.db import transaction

    before = Change.objects.count()
    with contextlib.suppress(RuntimeError), transaction.atomic():
        create_test_user("ghost")
        raise RuntimeError("abort")
    assert Change.objects.count() == before


def test_bulk_created_users_show_too(tree, live_ldap, admin_user):
    """The CSV import inserts users with bulk_create, which sends no post_save."""
    (imported,) = users.create_prechecked_users([{"username": "imported", "name": "Imported"}], actor=admin_user)
    assert not Change.objects.filter(kind="user", object_id=imported.pk).exists()
    conn = connect(live_ldap)
    eventually(lambda: len(search(conn, "(uid=imported)")) == 1)


def test_old_change_rows_are_pruned(db):
    import datetime as dt

    from django.utils import timezone

    from apps.ldap_server import changes

    old = Change.objects.create(kind="user", object_id=1)
    Change.objects.filter(pk=old.pk).update(created=timezone.now() - changes.RETENTION - dt.timedelta(seconds=1))
    fresh = Change.objects.create(kind="user", object_id=2)
    assert changes.prune() == 1
    assert list(Change.objects.values_list("pk", flat=True)) == [fresh.pk]
