"""TOTP: enrolment, the login challenge (API and web), recovery codes, policy, replay."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client

from apps.accounts.actions import mfa
from apps.accounts.models import AccountConfig, RecoveryCode, TotpDevice
from apps.accounts.tests.conftest import LOGIN_URL, PASSWORD, events
from apps.audit.models import Action
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db

MFA_LOGIN = "/siteapi/oneid/ucenter/login/mfa/"


def code_for(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


def enrol(client) -> tuple[str, list[str]]:
    started = client.post("/siteapi/oneid/ucenter/mfa/enrol/").json()
    assert started["otpauth_uri"].startswith("otpauth://totp/ArkID:")
    assert started["qr_svg"].startswith("data:image/svg+xml")
    confirmed = client.post("/siteapi/oneid/ucenter/mfa/confirm/", {"code": code_for(started["secret"])}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    return started["secret"], confirmed.json()["recovery_codes"]


def test_enrol_then_login_needs_the_second_factor(user_client, user, login):
    secret, recovery = enrol(user_client)
    assert len(recovery) == 10
    assert user_client.get("/siteapi/oneid/ucenter/mfa/").json() == {
        "enabled": True,
        "required": False,
        "recovery_codes_left": 10,
    }

    first = login("alice").json()
    assert first["mfa_required"] is True and first["enrolled"] is True and "token" not in first

    wrong = login_client().post(MFA_LOGIN, {"mfa_token": first["mfa_token"], "code": "000000"}, format="json")
    assert wrong.status_code == 400
    # The enrolment code's step is used: the next step's code is accepted (clock skew window).
    response = login_client().post(
        MFA_LOGIN, {"mfa_token": first["mfa_token"], "code": code_for(secret, 1)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert len(response.json()["token"]) == 40
    assert events(Action.LOGIN_SUCCEEDED)[-1].detail == {"via": "password+totp"}
    # The mfa_token is single use.
    again = login_client().post(MFA_LOGIN, {"mfa_token": first["mfa_token"], "code": code_for(secret)}, format="json")
    assert again.status_code == 401


def login_client():
    from rest_framework.test import APIClient

    return APIClient()


def test_secret_is_encrypted_and_recovery_codes_hashed(user_client, user):
    from django.db import connection

    secret, recovery = enrol(user_client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice")
        (stored,) = cursor.fetchone()
    assert secret not in stored
    assert not RecoveryCode.objects.filter(digest__in=recovery).exists()


def test_a_code_cannot_be_replayed(user):
    device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed="2026-01-01T00:00:00Z")
    code = code_for(device.secret)
    assert mfa.check_second_factor(user, code) is True
    assert mfa.check_second_factor(user, code) is False


def test_recovery_code_works_once(user_client, user, login):
    _secret, recovery = enrol(user_client)
    for expected in (200, 400):
        token = login("alice").json()["mfa_token"]
        response = login_client().post(MFA_LOGIN, {"mfa_token": token, "code": recovery[0].upper()}, format="json")
        assert response.status_code == expected
    assert len(events(Action.MFA_RECOVERY_USED)) == 1


def test_challenge_dies_after_five_wrong_codes(user_client, user, login):
    enrol(user_client)
    token = login("alice").json()["mfa_token"]
    for _ in range(5):
        assert login_client().post(MFA_LOGIN, {"mfa_token": token, "code": "123456"}, format="json").status_code in (
            400,
            401,
        )
    assert login_client().post(MFA_LOGIN, {"mfa_token": token, "code": "123456"}, format="json").status_code == 401
    assert len(events(Action.MFA_FAILED)) == 5


def test_policy_for_admins_enrols_at_login(login):
    AccountConfig(mfa_policy="admins").save()
    create_test_user("root", is_admin=True)
    create_test_user("bob")

    assert "token" in login("bob").json()  # not an administrator
    challenge = login("root").json()
    assert challenge["mfa_required"] is True and challenge["enrolled"] is False

    enrolment = (
        login_client()
        .post("/siteapi/oneid/ucenter/login/mfa/enrol/", {"mfa_token": challenge["mfa_token"]}, format="json")
        .json()
    )
    done = login_client().post(
        MFA_LOGIN, {"mfa_token": challenge["mfa_token"], "code": code_for(enrolment["secret"])}, format="json"
    )
    assert done.status_code == 200, done.json()
    assert "token" in done.json() and len(done.json()["recovery_codes"]) == 10


def test_user_cannot_disable_what_the_policy_requires_but_admin_can_reset(user_client, user, admin_client):
    enrol(user_client)
    AccountConfig(mfa_policy="all").save()
    response = user_client.post("/siteapi/oneid/ucenter/mfa/disable/", {"password": PASSWORD}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "mfa_required"

    assert admin_client.delete("/siteapi/oneid/user/alice/mfa/").status_code == 204
    assert not TotpDevice.objects.filter(user=user).exists()
    assert events(Action.MFA_DISABLED)[-1].actor_id != user.pk


def test_user_disables_with_password(user_client, user, login):
    enrol(user_client)
    assert user_client.post("/siteapi/oneid/ucenter/mfa/disable/", {"password": "x"}, format="json").status_code == 400
    assert (
        user_client.post("/siteapi/oneid/ucenter/mfa/disable/", {"password": PASSWORD}, format="json").status_code
        == 204
    )
    assert "token" in login("alice").json()


def test_web_login_asks_for_the_code(user_client, user):
    secret, _ = enrol(user_client)
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/login/", {"identifier": "alice", "password": PASSWORD, "next": "/portal/", "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 302 and response["Location"].startswith("/login/mfa/")
    assert "_auth_user_id" not in browser.session

    csrf = browser.cookies["csrftoken"].value
    page = browser.get(response["Location"])
    assert page.status_code == 200 and b"authenticator" in page.content
    bad = browser.post("/login/mfa/", {"code": "000000", "next": "/portal/", "csrfmiddlewaretoken": csrf})
    assert bad.status_code == 400
    ok = browser.post("/login/mfa/", {"code": code_for(secret, 1), "next": "/portal/", "csrfmiddlewaretoken": csrf})
    assert ok.status_code == 302 and ok["Location"] == "/portal/"
    assert browser.session["_auth_user_id"] == str(user.pk)


def test_web_enrolment_when_required(settings):
    AccountConfig(mfa_policy="all").save()
    user = create_test_user("gina")
    browser = Client()
    response = browser.post("/login/", {"identifier": "gina", "password": PASSWORD})
    page = browser.get(response["Location"])
    assert b"data:image/svg+xml" in page.content
    secret = page.context["enrolment"]["secret"]
    done = browser.post("/login/mfa/", {"code": code_for(secret)})
    assert done.status_code == 200 and b"recovery" in done.content.lower()
    assert browser.session["_auth_user_id"] == str(user.pk)


def test_login_page_without_mfa_is_unchanged(login, user):
    assert LOGIN_URL and "token" in login("alice").json()


def test_logged_out_password_change_is_no_way_around_mfa(user_client, user, api_client):
    secret, _ = enrol(user_client)
    body = {"username": "alice", "old_password": PASSWORD, "new_password": "An0ther-Passw0rd!"}

    response = api_client.put("/siteapi/oneid/ucenter/password/", body, format="json")

    assert response.status_code == 200
    assert "token" not in response.json() and response.json()["mfa_required"] is True
    done = login_client().post(
        MFA_LOGIN, {"mfa_token": response.json()["mfa_token"], "code": code_for(secret, 1)}, format="json"
    )
    assert done.status_code == 200 and "token" in done.json()


def test_invitation_acceptance_enrols_when_the_policy_requires(admin_client):
    AccountConfig(mfa_policy="all").save()
    create_test_user("ivy", password=None)
    key = admin_client.post("/siteapi/oneid/invitation/user/ivy/", format="json").json()["key"]

    response = login_client().patch(
        "/siteapi/oneid/ucenter/profile/invited/", {"key": key, "password": "Welc0me-aboard!"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["mfa_required"] is True and response.json()["enrolled"] is False


def test_wrong_codes_are_capped_per_account_across_mfa_tokens(user_client, user, login):
    secret, _ = enrol(user_client)
    for _ in range(2):
        token = login("alice").json()["mfa_token"]
        for _ in range(5):
            login_client().post(MFA_LOGIN, {"mfa_token": token, "code": "000000"}, format="json")
    token = login("alice").json()["mfa_token"]

    response = login_client().post(MFA_LOGIN, {"mfa_token": token, "code": code_for(secret, 1)}, format="json")

    assert response.status_code == 429 and response["Retry-After"] == "900"
