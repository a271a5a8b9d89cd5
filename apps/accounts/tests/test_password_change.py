from __future__ import annotations

import pytest

from apps.accounts.actions.tokens import issue_token
from apps.accounts.models import ApiToken, digest
from apps.accounts.tests.conftest import PASSWORD, events, token_client
from apps.audit.models import Action, Outcome
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

PASSWORD_URL = "/siteapi/oneid/ucenter/password/"
TOKENS_URL = "/siteapi/oneid/ucenter/tokens/"
NEW_PASSWORD = "Brand-new-Secret-42"
GENERIC_ERROR = {"detail": "Invalid username or password.", "code": "invalid_credentials"}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit hooks (the password_changed signal, the fresh token) as production does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_logged_in_change_revokes_every_token_and_returns_a_fresh_one(user, commit, login):
    old_tokens = [issue_token(user, actor=user) for _ in range(2)]

    with commit():
        response = token_client(old_tokens[0]).put(
            PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
        )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "alice" and body["require_reset_password"] is False
    for raw in old_tokens:
        assert token_client(raw).get(TOKENS_URL).status_code == 401
    assert token_client(body["token"]).get(TOKENS_URL).status_code == 200
    assert login("alice", PASSWORD).status_code == 400
    assert login("alice", NEW_PASSWORD).status_code == 200
    [changed] = events(Action.PASSWORD_CHANGED)
    assert changed.actor_id == user.pk and changed.outcome == Outcome.SUCCESS
    assert NEW_PASSWORD not in str(changed.changes) + str(changed.detail)


def test_patch_works_like_put(user, commit):
    raw = issue_token(user, actor=user)

    with commit():
        response = token_client(raw).patch(
            PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
        )

    assert response.status_code == 200


def test_logged_out_v1_variant_by_username_email_or_mobile(api_client, commit):
    create_test_user("dave", email="dave@corp.example", mobile="+8613912345678")

    with commit():
        response = api_client.put(
            PASSWORD_URL,
            {"username": "dave@corp.example", "old_password": PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert response.json()["username"] == "dave"
    assert token_client(response.json()["token"]).get(TOKENS_URL).status_code == 200


@pytest.mark.parametrize("username", ["alice", "nobody", "carol"])
def test_logged_out_variant_failures_are_generic_and_audited(api_client, user, username):
    create_test_user("carol", is_active=False)
    old = "wrong-old" if username == "alice" else PASSWORD

    response = api_client.put(
        PASSWORD_URL, {"username": username, "old_password": old, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == GENERIC_ERROR
    [event] = events(Action.PASSWORD_CHANGED)
    assert event.outcome == Outcome.FAILURE
    if username == "nobody":  # no such account: maybe a mistyped password, so only a fingerprint is kept
        assert event.detail["identifier"].startswith("unknown:") and username not in str(event.detail)
    else:
        assert event.detail["identifier"] == username


def test_wrong_old_password_when_logged_in(user):
    raw = issue_token(user, actor=user)

    response = token_client(raw).put(
        PASSWORD_URL, {"old_password": "not-it", "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == GENERIC_ERROR
    assert ApiToken.objects.get(key_digest=digest(raw)).revoked is None


def test_weak_new_password_is_a_field_error_and_changes_nothing(user):
    raw = issue_token(user, actor=user)

    response = token_client(raw).put(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "123"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["new_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert ApiToken.objects.get(key_digest=digest(raw)).revoked is None
    assert not events(Action.PASSWORD_CHANGED)


def test_missing_fields(api_client, user):
    response = api_client.put(PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["username"]

    response = token_client(issue_token(user, actor=user)).put(PASSWORD_URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"old_password", "new_password"}
