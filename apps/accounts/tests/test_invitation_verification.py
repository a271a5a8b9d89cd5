"""Activation by invitation proves a mobile or email (v1's ``activate_user`` subject): the
invitee asks for a code with the invitation key, swaps it for a token, and accepts with it."""

from __future__ import annotations

import pytest

from apps.accounts.models import SmsConfig
from apps.accounts.tests.test_codes import send, verify
from apps.accounts.tests.test_invitations import INVITED_URL, NEW_PASSWORD, _invite
from apps.audit.models import Action, Event
from apps.directory.tests.factories import create_test_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dev_senders")]

NEW_MOBILE = "+8613912345678"


def accept(client, key, **proof):
    return client.patch(INVITED_URL, {"key": key, "password": NEW_PASSWORD, **proof}, format="json")


def test_landing_lists_the_channels_that_can_verify(admin_client, invitee, api_client):
    key = _invite(admin_client).json()["key"]
    assert api_client.get(INVITED_URL, {"key": key}).json()["verify_with"] == ["sms", "email"]


def test_accepting_needs_a_verified_mobile_or_email(admin_client, invitee, api_client):
    key = _invite(admin_client).json()["key"]
    refused = accept(api_client, key)
    assert refused.status_code == 400
    assert refused.json()["code"] == "verification_required"
    invitee.refresh_from_db()
    assert not invitee.is_active and not invitee.has_usable_password()


def test_invitee_verifies_a_mobile_then_activates_with_it(admin_client, invitee, api_client, inbox):
    key = _invite(admin_client).json()["key"]
    assert send(api_client, "activate_user", NEW_MOBILE, key=key).status_code == 200
    token = verify(api_client, "activate_user", inbox(NEW_MOBILE), NEW_MOBILE).json()["sms_token"]
    response = accept(api_client, key, sms_token=token)
    assert response.status_code == 200, response.content
    invitee.refresh_from_db()
    assert invitee.is_active and invitee.mobile == NEW_MOBILE
    [accepted] = Event.objects.filter(action=Action.INVITATION_ACCEPTED)
    assert accepted.detail["verified"] == ["mobile"]
    # The token is single use: a second acceptance with it (and a new invitation) fails.
    key2 = _invite(admin_client).json()["key"]
    assert accept(api_client, key2, sms_token=token).status_code == 400


def test_sending_an_activation_code_needs_a_usable_invitation(api_client, inbox):
    assert send(api_client, "activate_user", NEW_MOBILE, key="not-a-key").status_code == 404
    assert send(api_client, "activate_user", NEW_MOBILE).status_code == 404
    assert inbox(NEW_MOBILE) == ""


def test_a_token_for_another_invitee_or_purpose_is_refused(admin_client, invitee, api_client, inbox):
    create_test_user("finn", password=None, is_active=False)
    key_erin = _invite(admin_client).json()["key"]
    key_finn = _invite(admin_client, "finn").json()["key"]
    send(api_client, "activate_user", NEW_MOBILE, key=key_finn)
    finns = verify(api_client, "activate_user", inbox(NEW_MOBILE), NEW_MOBILE).json()["sms_token"]
    assert accept(api_client, key_erin, sms_token=finns).json()["code"] == "invalid_code"
    send(api_client, "reset_password", "+8618800000000")
    assert accept(api_client, key_erin, sms_token="forged").json()["code"] == "invalid_code"


def test_an_address_of_another_account_cannot_be_claimed(admin_client, invitee, api_client, inbox):
    create_test_user("owner", mobile=NEW_MOBILE)
    key = _invite(admin_client).json()["key"]
    assert send(api_client, "activate_user", NEW_MOBILE, key=key).json()["code"] == "taken"
    assert inbox(NEW_MOBILE) == ""


def test_without_any_sender_the_link_alone_activates(admin_client, invitee, api_client):
    SmsConfig(vendor="").save()
    from apps.accounts.models import EmailConfig

    EmailConfig(vendor="").save()
    key = _invite(admin_client).json()["key"]
    assert accept(api_client, key).status_code == 200
