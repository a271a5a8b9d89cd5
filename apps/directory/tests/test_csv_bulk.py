"""The CSV import's batched write path: a bounded number of statements per file, and still one
audit event per created or changed user."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from apps.audit.models import Action, Event
from apps.directory import csv_io
from apps.directory.actions import users as user_actions
from apps.directory.models import Membership, Origin, User
from apps.directory.tests.factories import create_test_group, create_test_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(user_actions, "BULK_BATCH", 4)
    monkeypatch.setattr(csv_io, "_CHUNK", 4)


def sheet(count: int, *, name_suffix: str = "", start: int = 0) -> bytes:
    rows = ["username,name,email,mobile"]
    rows += [f"u{n:04d},User {n}{name_suffix},u{n:04d}@corp.com,+86139{n:08d}" for n in range(start, start + count)]
    return ("\r\n".join(rows) + "\r\n").encode()


def import_queries(raw: bytes, admin_user, **kwargs) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as ctx:
        summary = csv_io.import_users(raw, actor=admin_user, **kwargs)
    return summary, len(ctx.captured_queries)


def test_creates_in_batches_with_one_event_per_user(admin_user, small_batches):
    summary = csv_io.import_users(sheet(10), actor=admin_user)
    assert summary == {"created": 10, "updated": 0, "unchanged": 0}
    users = {u.username: u for u in User.objects.filter(username__startswith="u0")}
    assert len(users) == 10
    assert all(u.origin == Origin.IMPORT and not u.has_usable_password() for u in users.values())
    events = Event.objects.filter(action=Action.USER_CREATED)
    assert sorted(e.target_id for e in events) == sorted(str(u.pk) for u in users.values())
    event = events.get(target_name="u0003")
    assert event.actor == admin_user
    assert event.changes["email"] == [None, "u0003@corp.com"]
    assert event.changes["origin"] == [None, Origin.IMPORT]
    assert "password" not in event.changes


def test_statements_do_not_grow_per_row(admin_user):
    _summary, small = import_queries(sheet(20), admin_user)
    _summary, large = import_queries(sheet(200, start=100), admin_user)
    # 180 more rows: a few more INSERT statements (SQLite caps the parameters per statement),
    # not several per row as before.
    assert large - small < 180 // 10


def test_updates_only_changed_users_and_fields(admin_user, small_batches):
    csv_io.import_users(sheet(9), actor=admin_user)
    before = dict(User.objects.values_list("username", "updated"))
    raw = sheet(9).decode().replace("User 2,", "User two,").replace("u0005@corp.com", "five@corp.com").encode()
    saved = []

    def receiver(sender, instance, created, update_fields, **kwargs):
        saved.append((instance.username, created, set(update_fields)))

    post_save.connect(receiver, sender=User, dispatch_uid="test_csv_bulk")
    try:
        summary = csv_io.import_users(raw, actor=admin_user)
    finally:
        post_save.disconnect(dispatch_uid="test_csv_bulk", sender=User)
    assert summary == {"created": 0, "updated": 2, "unchanged": 7}
    assert sorted(saved) == [("u0002", False, {"name", "updated"}), ("u0005", False, {"email", "updated"})]
    changes = {e.target_name: e.changes for e in Event.objects.filter(action=Action.USER_UPDATED)}
    assert changes == {
        "u0002": {"name": ["User 2", "User two"]},
        "u0005": {"email": ["u0005@corp.com", "five@corp.com"]},
    }
    after = dict(User.objects.values_list("username", "updated"))
    assert after["u0002"] > before["u0002"] and after["u0001"] == before["u0001"]
    assert User.objects.get(username="u0005").email == "five@corp.com"
    assert User.objects.get(username="u0001").name == "User 1"


def test_memberships_in_chunks_keep_order_and_skip_existing(admin_user, small_batches):
    dept = create_test_group("Sales", uid="sales")
    existing = create_test_user("u0001")
    Membership.objects.create(group=dept, user=existing, order=0)
    csv_io.import_users(sheet(10), actor=admin_user, group=dept)
    members = list(Membership.objects.filter(group=dept).order_by("order").values_list("user__username", flat=True))
    assert members[0] == "u0001" and sorted(members) == [f"u{n:04d}" for n in range(10)]
    added = Event.objects.filter(action=Action.MEMBERS_ADDED)
    assert sorted(u for e in added for u in e.detail["users"]) == [f"u{n:04d}" for n in range(10) if n != 1]
    assert all(len(e.detail["users"]) <= 4 for e in added)


def test_prechecked_single_user_wrappers(admin_user):
    user = user_actions.create_prechecked_user({"username": "solo", "name": "Solo"}, actor=admin_user)
    assert user.pk and Event.objects.filter(action=Action.USER_CREATED, target_id=str(user.pk)).exists()
    assert user_actions.update_prechecked_user(user, {"name": "Solo"}, actor=admin_user) is False
    assert user_actions.update_prechecked_user(user, {"name": "Duo"}, actor=admin_user) is True
    with pytest.raises(ValueError, match="is_active"):
        user_actions.update_prechecked_user(user, {"is_active": False}, actor=admin_user)


def test_update_rows_writes_each_rows_own_values_and_types(monkeypatch):
    from apps.directory import bulk_update

    monkeypatch.setattr(bulk_update, "_MAX_ROWS_PER_STATEMENT", 2)  # several statements
    users = [create_test_user(f"r{n}") for n in range(5)]
    untouched = users[4].name
    stamp = users[0].updated.replace(year=2020)
    for n, user in enumerate(users):
        user.name, user.gender, user.updated = f"Row {n}", n % 3, stamp
    assert bulk_update.update_rows(User, users[:4], ["name", "gender", "updated"]) == 4
    rows = dict(User.objects.filter(username__startswith="r").values_list("username", "name"))
    assert rows == {"r0": "Row 0", "r1": "Row 1", "r2": "Row 2", "r3": "Row 3", "r4": untouched}
    fresh = User.objects.get(username="r2")
    assert (fresh.gender, fresh.updated) == (2, stamp)
    assert bulk_update.update_rows(User, [], ["name"]) == 0
