"""Browser sessions listed and ended one by one; an administrator ending everything of a user."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from apps.accounts.models import UserSession
from apps.accounts.signals import sessions_ended
from apps.accounts.tests.conftest import PASSWORD, events, token_client
from apps.audit.models import Action

pytestmark = pytest.mark.django_db

URL = "/siteapi/oneid/ucenter/sessions/"


def browser_login(ua: str = "Firefox") -> Client:
    browser = Client(HTTP_USER_AGENT=ua)
    assert browser.post("/login/", {"identifier": "alice", "password": PASSWORD}).status_code == 302
    return browser


def test_sessions_are_listed_with_the_current_one_marked(user):
    first = browser_login("Firefox")
    browser_login("Safari")

    rows = first.get(URL).json()

    assert sorted(r["user_agent"] for r in rows) == ["Firefox", "Safari"]
    assert [r["current"] for r in rows if r["user_agent"] == "Firefox"] == [True]


def test_ending_one_session_logs_that_browser_out(user):
    first = browser_login("Firefox")
    second = browser_login("Safari")
    other_id = next(r["id"] for r in first.get(URL).json() if not r["current"])

    assert first.delete(f"{URL}{other_id}/").status_code == 204

    assert second.get(URL).status_code in (401, 403)
    assert first.get(URL).status_code == 200
    assert len(events(Action.SESSION_ENDED)) == 1


def test_another_users_session_is_a_404(user, user_client):
    from apps.directory.tests.factories import create_test_user

    create_test_user("bob")
    bob = Client()
    bob.post("/login/", {"identifier": "bob", "password": PASSWORD})
    bob_row = UserSession.objects.get(user__username="bob")

    assert browser_login().delete(f"{URL}{bob_row.pk}/").status_code == 404


def test_logout_forgets_the_row(user):
    browser = browser_login()
    browser.post("/logout/")
    assert not UserSession.objects.exists()


def test_admin_ends_all_sessions_and_tokens_and_signals(user, admin_client, login, django_capture_on_commit_callbacks):
    browser = browser_login()
    token = login("alice").json()["token"]
    received = []
    sessions_ended.connect(lambda sender, user, **kw: received.append(user), weak=False, dispatch_uid="test")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post("/siteapi/oneid/user/alice/sessions/end/")
    finally:
        sessions_ended.disconnect(dispatch_uid="test")

    assert response.status_code == 200 and response.json() == {"sessions": 1, "tokens": 1}
    assert received == [user]
    assert browser.get(URL).status_code in (401, 403)
    assert token_client(token).get(URL).status_code == 401
    assert not Session.objects.exists()
    assert len(events(Action.SESSIONS_ENDED)) == 1


def test_non_admin_cannot_end_others_sessions(user_client, user):
    assert user_client.post("/siteapi/oneid/user/alice/sessions/end/").status_code == 403
