"""The brute-force guard: progressive delay, lockout per account and per IP, no enumeration."""

from __future__ import annotations

import pytest

from apps.accounts import guard
from apps.accounts.models import Lockout
from apps.accounts.tests.conftest import PASSWORD, events
from apps.audit.models import Action
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

LOCKOUT_URL = "/siteapi/oneid/lockout/"


@pytest.fixture(autouse=True)
def tight_guard(settings):
    """Small numbers so the tests stay short: delay after 2 failures, lock at 4."""
    settings.LOCKOUT_ACCOUNT_DELAY_AFTER = 2
    settings.LOCKOUT_ACCOUNT_THRESHOLD = 4
    settings.LOCKOUT_IP_DELAY_AFTER = 6
    settings.LOCKOUT_IP_THRESHOLD = 8
    settings.LOCKOUT_BASE_DELAY = 1
    settings.LOCKOUT_MAX_DELAY = 30
    settings.LOCKOUT_DURATION = 600


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves instead of sleeping."""
    state = {"t": 1_000_000.0}
    monkeypatch.setattr(guard, "now", lambda: state["t"])

    def advance(seconds: float) -> None:
        state["t"] += seconds

    return advance


def fail(identifier: str, ip: str = "10.0.0.1"):
    return guard.verify_password_attempt(identifier, "wrong-password", ip=ip, channel="test")


def test_right_password_returns_the_user(user):
    assert guard.verify_password_attempt("alice", PASSWORD, ip="10.0.0.1") == user


def test_delay_after_a_few_failures_then_lockout(user, clock):
    assert fail("alice") is None
    assert fail("alice") is None  # second failure: the next attempt must wait 1 s
    with pytest.raises(guard.LockedOut) as exc:
        guard.verify_password_attempt("alice", PASSWORD, ip="10.0.0.1")
    assert exc.value.retry_after == 1

    clock(1)
    assert fail("alice") is None  # third: wait 2 s
    with pytest.raises(guard.LockedOut) as exc:
        fail("alice")
    assert exc.value.retry_after == 2

    clock(2)
    assert fail("alice") is None  # fourth: locked for LOCKOUT_DURATION
    clock(60)
    with pytest.raises(guard.LockedOut) as exc:
        guard.verify_password_attempt("alice", PASSWORD, ip="10.0.0.2")  # another IP, right password
    assert exc.value.retry_after == 540
    lock = Lockout.objects.get(scope=Lockout.Scope.ACCOUNT)
    assert lock.key == f"user:{user.pk}" and lock.label == "alice" and lock.failures == 4
    assert len(events(Action.LOCKOUT_STARTED)) == 1
    assert len(events(Action.LOGIN_REFUSED)) == 3  # one per wait period, not one per request
    with pytest.raises(guard.LockedOut):
        fail("alice")
    assert len(events(Action.LOGIN_REFUSED)) == 3


def test_username_email_and_mobile_share_one_budget(clock):
    create_test_user("bob", email="bob@corp.example", mobile="+8618812345678")
    fail("bob")
    fail("bob@corp.example")
    with pytest.raises(guard.LockedOut):
        fail("18812345678")


def test_success_resets_the_account_counter(user, clock):
    fail("alice")
    assert guard.verify_password_attempt("alice", PASSWORD, ip="10.0.0.1") == user
    fail("alice")
    assert guard.verify_password_attempt("alice", PASSWORD, ip="10.0.0.1") == user


def test_unknown_identifier_is_throttled_the_same_way(clock):
    fail("nobody")
    fail("nobody")
    with pytest.raises(guard.LockedOut) as exc:
        fail("nobody")
    assert exc.value.retry_after == 1
    # The audit log never keeps unmatched typed text (it may be a password).
    assert all("nobody" not in str(e.detail) for e in events(Action.LOGIN_FAILED))


def test_ip_counter_spans_accounts(clock):
    for n in range(6):
        fail(f"someone{n}")
    with pytest.raises(guard.LockedOut):
        fail("someone-else")
    assert fail("someone-else", ip="10.0.0.9") is None  # another IP is not affected


def test_api_login_answers_429_with_retry_after_for_known_and_unknown(login, user, clock):
    answers = {}
    for name in ("alice", "ghost"):
        assert login(name, "bad", REMOTE_ADDR=f"10.1.0.{len(answers)}").status_code == 400
        login(name, "bad", REMOTE_ADDR=f"10.1.0.{len(answers)}")
        response = login(name, PASSWORD if name == "alice" else "x", REMOTE_ADDR=f"10.1.0.{len(answers)}")
        answers[name] = (response.status_code, response["Retry-After"], response.json()["detail"])
    assert answers["alice"] == answers["ghost"]
    assert answers["alice"][0] == 429 and answers["alice"][1] == "1"


def test_logged_out_password_change_uses_the_guard(api_client, user, clock):
    url = "/siteapi/oneid/ucenter/password/"
    body = {"username": "alice", "old_password": "bad", "new_password": "N3w-passw0rd!"}
    api_client.put(url, body, format="json")
    api_client.put(url, body, format="json")
    response = api_client.put(url, {**body, "old_password": PASSWORD}, format="json")
    assert response.status_code == 429


def test_admin_lists_and_clears_a_lockout(admin_client, user_client, user, clock):
    for _ in range(4):
        clock(60)
        fail("alice")
    assert user_client.get(LOCKOUT_URL).status_code == 403
    rows = admin_client.get(LOCKOUT_URL).json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    assert [(r["scope"], r["label"]) for r in rows] == [("account", "alice")]

    assert admin_client.delete(f"{LOCKOUT_URL}{rows[0]['id']}/").status_code == 204

    assert guard.verify_password_attempt("alice", PASSWORD, ip="10.0.0.1") == user
    assert not Lockout.objects.exists()
    assert len(events(Action.LOCKOUT_CLEARED)) == 1
    assert admin_client.delete(f"{LOCKOUT_URL}{rows[0]['id']}/").status_code == 404
