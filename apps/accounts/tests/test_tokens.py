from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.actions.tokens import issue_token, purge_expired_tokens
from apps.accounts.models import ApiToken, Invitation, digest
from apps.accounts.tasks import purge_expired_tokens as purge_task
from apps.accounts.tests.conftest import events, token_client
from apps.audit.models import Action, Event
from apps.directory.actions.users import delete_user, update_user

pytestmark = pytest.mark.django_db

TOKENS_URL = "/siteapi/oneid/ucenter/tokens/"
REVOKE_URL = "/siteapi/oneid/revoke/token/"


def _token(raw: str) -> ApiToken:
    return ApiToken.objects.get(key_digest=digest(raw))


def test_expired_token_is_401(user):
    raw = issue_token(user, actor=user)
    ApiToken.objects.filter(key_digest=digest(raw)).update(expires=timezone.now() - dt.timedelta(seconds=1))

    assert token_client(raw).get(TOKENS_URL).status_code == 401


def test_revoked_token_is_401(user):
    raw = issue_token(user, actor=user)
    ApiToken.objects.filter(key_digest=digest(raw)).update(revoked=timezone.now())

    assert token_client(raw).get(TOKENS_URL).status_code == 401


def test_unknown_and_malformed_tokens_are_401(api_client):
    assert token_client("f" * 40).get(TOKENS_URL).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert api_client.get(TOKENS_URL).status_code == 401
    api_client.credentials()
    assert api_client.get(TOKENS_URL).status_code == 401


def test_revoke_revokes_only_the_presenting_token(user):
    first = issue_token(user, actor=user)
    second = issue_token(user, actor=user)

    response = token_client(first).post(REVOKE_URL)

    assert response.status_code == 204
    assert _token(first).revoked is not None
    assert _token(second).revoked is None
    assert token_client(first).get(TOKENS_URL).status_code == 401
    assert token_client(second).get(TOKENS_URL).status_code == 200
    [event] = events(Action.TOKEN_REVOKED)
    assert event.actor_id == user.pk
    assert event.target_id == str(_token(first).pk)


def test_revoke_without_a_valid_token_is_401(api_client, user):
    assert api_client.post(REVOKE_URL).status_code == 401
    assert token_client("0" * 40).post(REVOKE_URL).status_code == 401
    assert not events(Action.TOKEN_REVOKED)


def test_token_list_shows_own_working_tokens_and_marks_current(user, admin_user):
    current = issue_token(user, actor=user)
    other = issue_token(user, actor=user)
    revoked = issue_token(user, actor=user)
    ApiToken.objects.filter(key_digest=digest(revoked)).update(revoked=timezone.now())
    issue_token(admin_user, actor=admin_user)

    response = token_client(current).get(TOKENS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {row["prefix"]: row for row in body["results"]}
    assert set(rows) == {current[:8], other[:8]}
    assert rows[current[:8]]["current"] is True
    assert rows[other[:8]]["current"] is False
    assert set(rows[current[:8]]) == {"id", "prefix", "created", "last_used", "expires", "ip", "user_agent", "current"}
    assert current not in response.content.decode()


def test_delete_own_token(user):
    current = issue_token(user, actor=user)
    other = issue_token(user, actor=user)

    response = token_client(current).delete(f"{TOKENS_URL}{_token(other).pk}/")

    assert response.status_code == 204
    assert _token(other).revoked is not None
    assert token_client(other).get(TOKENS_URL).status_code == 401
    assert token_client(current).get(TOKENS_URL).status_code == 200
    assert len(events(Action.TOKEN_REVOKED)) == 1


def test_delete_someone_elses_token_is_404(user, admin_user):
    mine = issue_token(user, actor=user)
    theirs = issue_token(admin_user, actor=admin_user)

    response = token_client(mine).delete(f"{TOKENS_URL}{_token(theirs).pk}/")

    assert response.status_code == 404
    assert _token(theirs).revoked is None
    assert token_client(mine).delete(f"{TOKENS_URL}999999/").status_code == 404


def test_password_change_signal_revokes_all_tokens(user, django_capture_on_commit_callbacks):
    from apps.directory.actions.users import set_password

    raws = [issue_token(user, actor=user) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        set_password(user, "An0ther-Secret!", actor=None)

    assert all(_token(raw).revoked is not None for raw in raws)
    event = events(Action.TOKEN_REVOKED)[-1]
    assert event.detail == {"count": 2, "reason": "password_changed"}


def test_deactivation_revokes_all_tokens(user, admin_user):
    raw = issue_token(user, actor=user)
    kept = issue_token(admin_user, actor=admin_user)

    update_user(user, {"is_active": False}, actor=admin_user)

    assert _token(raw).revoked is not None
    assert _token(kept).revoked is None
    update_user(user, {"is_active": True}, actor=admin_user)
    assert token_client(raw).get(TOKENS_URL).status_code == 401  # reactivation does not revive sessions
    assert events(Action.TOKEN_REVOKED)[-1].detail["reason"] == "user_deactivated"


def test_deleting_a_user_deletes_their_tokens(user, admin_user):
    issue_token(user, actor=user)

    delete_user(user, actor=admin_user)

    assert not ApiToken.objects.filter(user_id=user.pk).exists()


def test_purge_removes_old_expired_and_revoked_tokens_and_expired_invitations(user):
    now = timezone.now()
    keep_valid = issue_token(user, actor=user)
    keep_recently_revoked = issue_token(user, actor=user)
    drop_expired = issue_token(user, actor=user)
    drop_revoked = issue_token(user, actor=user)
    ApiToken.objects.filter(key_digest=digest(keep_recently_revoked)).update(revoked=now - dt.timedelta(hours=2))
    ApiToken.objects.filter(key_digest=digest(drop_expired)).update(expires=now - dt.timedelta(days=2))
    ApiToken.objects.filter(key_digest=digest(drop_revoked)).update(revoked=now - dt.timedelta(days=2))
    Invitation.objects.create(user=user, key_digest="a" * 64, expires=now - dt.timedelta(minutes=1))
    live = Invitation.objects.create(user=user, key_digest="b" * 64, expires=now + dt.timedelta(hours=1))

    result = purge_expired_tokens(now=now)

    assert result == {"tokens": 2, "invitations": 1}
    remaining = set(ApiToken.objects.values_list("key_digest", flat=True))
    assert remaining == {digest(keep_valid), digest(keep_recently_revoked)}
    assert list(Invitation.objects.all()) == [live]
    [event] = Event.objects.filter(action=Action.CREDENTIALS_PURGED)
    assert (event.detail["tokens"], event.detail["invitations"], event.actor_name) == (2, 1, "system")
    assert purge_expired_tokens(now=now) == {"tokens": 0, "invitations": 0}
    assert Event.objects.filter(action=Action.CREDENTIALS_PURGED).count() == 1  # nothing purged, no event


def test_purge_task_is_registered_under_its_name(user):
    raw = issue_token(user, actor=user)
    ApiToken.objects.filter(key_digest=digest(raw)).update(expires=timezone.now() - dt.timedelta(days=3))

    assert purge_task.name == "accounts.purge_expired_tokens"
    assert purge_task.apply().get() == {"tokens": 1, "invitations": 0, "lockouts": 0, "codes": 0, "sessions": 0}


def test_inactive_users_token_is_401(user):
    raw = issue_token(user, actor=user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # bypasses the receiver on purpose

    assert token_client(raw).get(TOKENS_URL).status_code == 401


def test_v1_mount_serves_the_same_endpoints(user):
    raw = issue_token(user, actor=user)

    assert token_client(raw).get("/siteapi/v1/ucenter/tokens/").status_code == 200
