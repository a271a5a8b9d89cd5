from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.utils import timezone

from apps.accounts.actions.invitations import InvitationNotFound, accept_invitation, create_invitation
from apps.accounts.models import Invitation, digest
from apps.accounts.tests.conftest import events, token_client
from apps.audit.models import Action
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

INVITED_URL = "/siteapi/oneid/ucenter/profile/invited/"
NEW_PASSWORD = "Welcome-Aboard-77"
NOT_FOUND = {"detail": "This invitation is invalid or has expired.", "code": "invitation_invalid"}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _invite(admin_client, username="erin"):
    return admin_client.post(f"/siteapi/oneid/invitation/user/{username}/")


def test_admin_creates_an_invitation(admin_client, admin_user, invitee, settings):
    settings.INVITATION_LIFETIME = 600

    response = _invite(admin_client)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"key", "url", "expires"}
    assert len(body["key"]) >= 43  # 32 random bytes, URL-safe
    url = urlparse(body["url"])
    assert url.path == "/activate/" and parse_qs(url.query)["key"] == [body["key"]]  # the web page
    invitation = Invitation.objects.get(user=invitee)
    assert invitation.key_digest == digest(body["key"])
    assert invitation.inviter == admin_user
    assert 590 <= (invitation.expires - timezone.now()).total_seconds() <= 600
    [event] = events(Action.INVITATION_CREATED)
    assert event.actor_id == admin_user.pk and event.target_id == str(invitee.pk)
    assert body["key"] not in str(event.detail)


def test_raw_invitation_key_is_not_stored(admin_client, invitee):
    key = _invite(admin_client).json()["key"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT key_digest FROM accounts_invitation")
        assert all(key not in row[0] for row in cursor.fetchall())


def test_only_admins_invite(user_client, api_client, invitee, admin_client):
    assert _invite(user_client).status_code == 403
    assert _invite(api_client).status_code == 401
    assert _invite(admin_client, "nobody").status_code == 404


def test_new_invitation_voids_the_previous_one(admin_client, invitee, api_client):
    first = _invite(admin_client).json()["key"]
    second = _invite(admin_client).json()["key"]

    assert api_client.get(INVITED_URL, {"key": first}).status_code == 404
    assert api_client.get(INVITED_URL, {"key": second}).status_code == 200
    assert events(Action.INVITATION_CREATED)[-1].detail["voided"] == 1


def test_landing_shows_masked_contact_details(admin_client, invitee, api_client):
    key = _invite(admin_client).json()["key"]

    response = api_client.get(INVITED_URL, {"key": key})

    assert response.status_code == 200
    assert response.json() == {
        "username": "erin",
        "name": "Erin",
        "mobile": "+86188****5678",
        "email": "e***@corp.example",
        "private_email": "",
        "verify_with": [],  # no sender configured: nothing can be verified
    }


def test_unknown_missing_and_expired_keys_are_404(admin_client, invitee, api_client):
    key = _invite(admin_client).json()["key"]
    Invitation.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))

    for params in ({"key": key}, {"key": "nope"}, {}):
        response = api_client.get(INVITED_URL, params)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    response = api_client.patch(INVITED_URL, {"key": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 404
    invitee.refresh_from_db()
    assert not invitee.is_active and not invitee.has_usable_password()


def test_accepting_sets_password_activates_and_logs_in(admin_client, invitee, api_client, commit, login):
    key = _invite(admin_client).json()["key"]

    with commit():
        response = api_client.patch(INVITED_URL, {"key": key, "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "erin" and body["has_password"] is True
    assert token_client(body["token"]).get("/siteapi/oneid/ucenter/tokens/").status_code == 200
    invitee.refresh_from_db()
    assert invitee.is_active
    assert Invitation.objects.get().accepted is not None
    assert login("erin", NEW_PASSWORD).status_code == 200
    [accepted] = events(Action.INVITATION_ACCEPTED)
    assert accepted.actor_id == invitee.pk
    assert NEW_PASSWORD not in str(accepted.detail) + str(accepted.changes)


def test_invitation_is_single_use(admin_client, invitee, api_client, commit):
    key = _invite(admin_client).json()["key"]
    with commit():
        assert api_client.patch(INVITED_URL, {"key": key, "password": NEW_PASSWORD}, format="json").status_code == 200

    again = api_client.patch(INVITED_URL, {"key": key, "password": "Another-Pass-88"}, format="json")

    assert again.status_code == 404
    assert api_client.get(INVITED_URL, {"key": key}).status_code == 404
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)
    assert len(events(Action.INVITATION_ACCEPTED)) == 1


def test_weak_password_keeps_the_invitation_usable(admin_client, invitee, api_client):
    key = _invite(admin_client).json()["key"]

    response = api_client.patch(INVITED_URL, {"key": key, "password": "12345"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert Invitation.objects.get().accepted is None
    assert api_client.get(INVITED_URL, {"key": key}).status_code == 200


def test_accept_requires_key_and_password(api_client):
    response = api_client.patch(INVITED_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"key", "password"}


def test_actions_accept_once(admin_user, invitee):
    _, key = create_invitation(invitee, actor=admin_user)

    accept_invitation(key, NEW_PASSWORD)

    with pytest.raises(InvitationNotFound):
        accept_invitation(key, NEW_PASSWORD)


def test_deactivation_voids_invitations_and_acceptance_never_reactivates(admin_client, api_client):
    from apps.directory.actions.users import update_user
    from apps.directory.models import User

    carol = create_test_user("carol", password=None)  # active: this invitation does not activate
    key = admin_client.post("/siteapi/oneid/invitation/user/carol/").json()["key"]
    update_user(carol, {"is_active": False}, actor=None)

    response = api_client.patch(INVITED_URL, {"key": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 404
    assert User.objects.get(pk=carol.pk).is_active is False
    # Reactivating does not bring the old link back either.
    update_user(User.objects.get(pk=carol.pk), {"is_active": True}, actor=None)
    assert api_client.patch(INVITED_URL, {"key": key, "password": NEW_PASSWORD}, format="json").status_code == 404


def test_password_change_voids_open_invitations(admin_client, api_client, django_capture_on_commit_callbacks):
    from apps.directory.actions.users import set_password

    carol = create_test_user("carol", password=None)
    key = admin_client.post("/siteapi/oneid/invitation/user/carol/").json()["key"]
    with django_capture_on_commit_callbacks(execute=True):
        set_password(carol, "An0ther-Str0ng-Pass", actor=carol)
    assert api_client.get(INVITED_URL, {"key": key}).status_code == 404


def test_invitation_can_be_mailed_to_the_user(admin_client, caplog):
    import logging

    from apps.accounts.models import EmailConfig

    EmailConfig(vendor="log").save()
    create_test_user("mia", email="mia@corp.example", password=None)
    caplog.set_level(logging.WARNING, logger="arkid.accounts.senders")

    body = admin_client.post("/siteapi/oneid/invitation/user/mia/", {"send": "email"}, format="json").json()

    assert body["mailed_to"] == "m***@corp.example"
    assert any("mia@corp.example" in r.getMessage() for r in caplog.records)


def test_mailing_without_a_sender_reports_null(admin_client):
    create_test_user("noah", email="noah@corp.example", password=None)
    body = admin_client.post("/siteapi/oneid/invitation/user/noah/", {"send": "email"}, format="json").json()
    assert body["mailed_to"] is None and body["url"]
