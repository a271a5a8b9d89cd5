"""Uniqueness of usernames, emails and mobiles under concurrent creates.

The threads really race: each has its own database connection, and a barrier releases them
together. Whoever loses must get a clean field error (from the friendly check or from the
database constraint), never a 500 and never a duplicate row.

On SQLite, pytest-django's test database is in memory with a shared cache, where a second
writer gets "database table is locked" at once instead of waiting like it does on the real
file database (busy timeout, BEGIN IMMEDIATE). The workers retry that one error, which is
the waiting the file database does for them; PostgreSQL needs no retry.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection

from apps.audit.models import Action, Event
from apps.directory.actions.users import create_user
from apps.directory.models import User
from apps.directory.tests.factories import create_test_user

THREADS = 6


def _race(make_fields) -> tuple[list[User], list[ValidationError], list[BaseException]]:
    """Run create_user in THREADS threads at once; returns (created, clean errors, other errors)."""
    admin = User.objects.get(username="racer-admin")
    barrier = threading.Barrier(THREADS)
    created, rejected, crashed = [], [], []
    lock = threading.Lock()

    def create_waiting_for_sqlite_lock(index: int) -> User:
        for _attempt in range(500):
            try:
                return create_user(actor=admin, **make_fields(index))
            except OperationalError as exc:
                if connection.vendor != "sqlite" or "locked" not in str(exc):
                    raise
                time.sleep(0.005)
        raise AssertionError("SQLite stayed locked")

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            user = create_waiting_for_sqlite_lock(index)
            with lock:
                created.append(user)
        except ValidationError as exc:
            with lock:
                rejected.append(exc)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            with lock:
                crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return created, rejected, crashed


@pytest.fixture
def racer_admin(transactional_db):
    return create_test_user("racer-admin", is_admin=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("field", "make_fields"),
    [
        ("username", lambda i: {"username": "Same.Name"}),
        ("email", lambda i: {"username": f"u{i}", "email": "Same@Example.com"}),
        ("private_email", lambda i: {"username": f"u{i}", "private_email": "same@example.com"}),
        ("mobile", lambda i: {"username": f"u{i}", "mobile": ["188 1234 5678", "+86 18812345678"][i % 2]}),
    ],
)
def test_concurrent_creates_make_exactly_one_user(racer_admin, field, make_fields):
    created, rejected, crashed = _race(make_fields)

    assert crashed == []
    assert len(created) == 1
    assert len(rejected) == THREADS - 1
    for exc in rejected:
        assert field in exc.message_dict
        assert "already exists" in exc.message_dict[field][0]
    assert User.objects.exclude(pk=racer_admin.pk).count() == 1
    assert Event.objects.filter(action=Action.USER_CREATED).count() == 1
