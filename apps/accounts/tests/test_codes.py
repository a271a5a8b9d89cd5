"""Verification codes end to end through the API (the development log sender delivers them),
and the flows they unlock: register, forgotten password, contact change."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.accounts import captcha, config
from apps.accounts.models import AccountConfig, VerificationCode
from apps.accounts.tests.conftest import PASSWORD, events, token_client
from apps.audit.models import Action
from apps.directory.models import Membership, Origin, User
from apps.directory.tests.factories import create_test_group, create_test_user
from conftest import issue_test_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dev_senders")]

SMS = "/siteapi/oneid/service/sms/"
EMAIL = "/siteapi/oneid/service/email/"
MOBILE = "+8618812345678"


def send(client, subject: str, address: str = MOBILE, channel: str = "sms", **extra):
    field = "mobile" if channel == "sms" else "email"
    return client.post(f"{SMS if channel == 'sms' else EMAIL}{subject}/", {field: address, **extra}, format="json")


def verify(client, subject: str, code: str, address: str = MOBILE, channel: str = "sms"):
    field = "mobile" if channel == "sms" else "email"
    return client.get(f"{SMS if channel == 'sms' else EMAIL}{subject}/", {field: address, "code": code})


def test_register_by_mobile_end_to_end(api_client, inbox):
    group = create_test_group("Guests")
    AccountConfig.objects.filter(pk=1).update(register_group_uid=group.uid)
    assert send(api_client, "register", "188 1234 5678").status_code == 200
    code = inbox(MOBILE)
    assert len(code) == 6

    token = verify(api_client, "register", code).json()["sms_token"]
    response = api_client.post(
        "/siteapi/oneid/ucenter/register/",
        {"username": "newbie", "password": "Fresh-Passw0rd!", "sms_token": token},
        format="json",
    )

    assert response.status_code == 201, response.json()
    user = User.objects.get(username="newbie")
    assert user.mobile == MOBILE and user.origin == Origin.MOBILE_REGISTRATION
    assert Membership.objects.filter(user=user, group=group).exists()
    assert token_client(response.json()["token"]).get("/siteapi/oneid/ucenter/tokens/").status_code == 200
    assert len(events(Action.USER_REGISTERED)) == 1
    # The token is single use.
    again = api_client.post(
        "/siteapi/oneid/ucenter/register/",
        {"username": "newbie2", "password": "Fresh-Passw0rd!", "sms_token": token},
        format="json",
    )
    assert again.status_code == 400


def test_code_is_hashed_at_rest(api_client, inbox):
    send(api_client, "register")
    code = inbox(MOBILE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_digest FROM accounts_verificationcode")
        (stored,) = cursor.fetchone()
    assert code not in stored and len(stored) == 64


def test_wrong_codes_are_capped_and_codes_are_single_use(api_client, inbox, settings):
    settings.CODE_MAX_ATTEMPTS = 3
    send(api_client, "register")
    code = inbox(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert verify(api_client, "register", wrong).status_code == 400
    assert verify(api_client, "register", code).status_code == 400  # attempts used up
    assert len(events(Action.CODE_REJECTED)) == 4

    api_client.post(SMS + "register/", {"mobile": "+8618800000001"}, format="json")
    fresh = inbox("+8618800000001")
    assert verify(api_client, "register", fresh, "+8618800000001").status_code == 200
    assert verify(api_client, "register", fresh, "+8618800000001").status_code == 400  # used


def test_code_expires(api_client, inbox):
    send(api_client, "register")
    code = inbox(MOBILE)
    VerificationCode.objects.update(expires="2000-01-01T00:00:00Z")
    assert verify(api_client, "register", code).status_code == 400


def test_resend_interval_and_daily_cap_per_address(api_client, settings):
    assert send(api_client, "register").status_code == 200
    response = send(api_client, "register")
    assert response.status_code == 429 and response["Retry-After"] == "60"


def test_daily_cap_per_address(api_client, settings):
    settings.CODE_RESEND_INTERVAL = 0
    settings.CODE_MAX_PER_ADDRESS = 2
    assert send(api_client, "register").status_code == 200
    assert send(api_client, "register").status_code == 200
    response = send(api_client, "register")
    assert response.status_code == 429 and response["Retry-After"] == "86400"


def test_ip_cap(api_client, settings):
    settings.CODE_MAX_PER_IP = 2
    assert send(api_client, "register", "+8618800000001").status_code == 200
    assert send(api_client, "register", "+8618800000002").status_code == 200
    assert send(api_client, "register", "+8618800000003").status_code == 429


def test_captcha_after_repeated_sends(api_client, inbox, settings):
    settings.CODE_CAPTCHA_AFTER = 1
    assert send(api_client, "register", "+8618800000001").status_code == 200
    refused = send(api_client, "register", "+8618800000002")
    assert refused.status_code == 400 and refused.json()["code"] == "captcha_required"

    challenge = api_client.get("/siteapi/oneid/service/captcha/").json()
    image = api_client.get(f"/siteapi/oneid/service/captcha/image/{challenge['key']}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png" and image.content[:4] == b"\x89PNG"
    answer = captcha.answer_for_tests(challenge["key"])
    ok = send(api_client, "register", "+8618800000002", captcha_key=challenge["key"], captcha=answer.lower())
    assert ok.status_code == 200
    # One challenge, one use.
    reuse = send(api_client, "register", "+8618800000003", captcha_key=challenge["key"], captcha=answer)
    assert reuse.status_code == 400


def test_no_enumeration_on_reset_and_register(api_client, inbox):
    create_test_user("bob", mobile=MOBILE)
    known = send(api_client, "reset_password", MOBILE)
    unknown = send(api_client, "reset_password", "+8618800000009")
    assert known.status_code == unknown.status_code == 200 and known.json() == unknown.json()
    assert inbox(MOBILE) and not inbox("+8618800000009")


def test_register_code_for_a_taken_address_is_not_sent(api_client, inbox):
    create_test_user("bob", mobile=MOBILE)
    response = send(api_client, "register", MOBILE)
    assert response.status_code == 200 and not inbox(MOBILE)
    assert events(Action.CODE_SENT)[-1].detail["sent"] is False


def test_forgotten_password_by_email(api_client, inbox):
    user = create_test_user("carol", private_email="carol@home.example")
    send(api_client, "reset_password", "Carol@Home.example", channel="email")
    code = inbox("carol@home.example")
    token = verify(api_client, "reset_password", code, "carol@home.example", channel="email").json()["email_token"]

    response = api_client.put(
        "/siteapi/oneid/ucenter/password/",
        {"email": "carol@home.example", "email_token": token, "new_password": "Brand-new-Pa55"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert user.check_password("Brand-new-Pa55")
    assert len(events(Action.PASSWORD_RESET)) == 1


def test_weak_new_password_keeps_the_token(api_client, inbox):
    user = create_test_user("dave", mobile=MOBILE)
    send(api_client, "reset_password")
    token = verify(api_client, "reset_password", inbox(MOBILE)).json()["sms_token"]
    body = {"mobile": MOBILE, "sms_token": token, "new_password": "dave"}

    assert api_client.put("/siteapi/oneid/ucenter/password/", body, format="json").status_code == 400
    body["new_password"] = "Str0nger-Pa55"
    assert api_client.put("/siteapi/oneid/ucenter/password/", body, format="json").status_code == 200
    user.refresh_from_db()
    assert user.check_password("Str0nger-Pa55")


def test_change_mobile_needs_password_and_a_code_to_the_new_number(user_client, user, inbox, api_client):
    assert send(api_client, "update_mobile", MOBILE).status_code in (401, 403)
    assert send(user_client, "update_mobile", MOBILE, password="wrong").status_code == 400
    assert send(user_client, "update_mobile", MOBILE, password=PASSWORD).status_code == 200
    token = verify(user_client, "update_mobile", inbox(MOBILE)).json()["sms_token"]

    other = token_client_for(create_test_user("eve"))
    assert other.patch("/siteapi/oneid/ucenter/contact/", {"sms_token": token}, format="json").status_code == 400
    response = user_client.patch("/siteapi/oneid/ucenter/contact/", {"sms_token": token}, format="json")

    assert response.status_code == 200 and response.json()["mobile"] == MOBILE
    user.refresh_from_db()
    assert user.mobile == MOBILE


def test_change_to_an_address_of_another_account_is_refused(user_client):
    create_test_user("frank", mobile=MOBILE)
    response = send(user_client, "update_mobile", MOBILE, password=PASSWORD)
    assert response.status_code == 400 and response.json()["code"] == "taken"


def test_registration_closed(api_client, inbox):
    AccountConfig.objects.filter(pk=1).update(allow_register=False)
    config.forget("account")
    send(api_client, "register")
    token = verify(api_client, "register", inbox(MOBILE)).json()["sms_token"]
    response = api_client.post(
        "/siteapi/oneid/ucenter/register/",
        {"username": "closed", "password": "Fresh-Passw0rd!", "sms_token": token},
        format="json",
    )
    assert response.status_code == 403


def test_unknown_subject_is_404(api_client):
    assert send(api_client, "launch_missiles").status_code == 404


def token_client_for(user):
    return token_client(issue_test_token(user))


def test_verify_by_post_keeps_the_code_out_of_urls(api_client, inbox):
    send(api_client, "register")
    response = api_client.post(f"{SMS}register/verify/", {"mobile": MOBILE, "code": inbox(MOBILE)}, format="json")

    assert response.status_code == 200 and response.json()["expired"] == 1200
    assert api_client.get(f"{SMS}register/verify/").status_code == 405
