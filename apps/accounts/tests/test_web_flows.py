"""Forgotten password and registration through the web pages (dev log sender delivers codes)."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts import captcha
from apps.accounts.models import AccountConfig
from apps.directory.models import User
from apps.directory.tests.factories import create_test_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dev_senders")]

MOBILE = "+8618812345678"


def test_login_page_links_to_reset_and_register():
    page = Client().get("/login/").content.decode()
    assert 'href="/login/forgot/"' in page and 'href="/register/"' in page


def test_forgot_password_by_sms(inbox):
    user = create_test_user("bob", mobile=MOBILE)
    browser = Client()

    sent = browser.post("/login/forgot/", {"address": "188 1234 5678"})
    assert sent.status_code == 302 and sent["Location"] == "/login/forgot/code/"
    wrong = browser.post(
        "/login/forgot/code/",
        {"code": "000000" if inbox(MOBILE) != "000000" else "111111", "new_password": "Brand-new-Pa55"},
    )
    assert wrong.status_code == 400

    browser.post("/login/forgot/", {"address": MOBILE})  # within the resend interval: refused, old code stays
    done = browser.post("/login/forgot/code/", {"code": inbox(MOBILE), "new_password": "Brand-new-Pa55"})

    assert done.status_code == 302 and done["Location"] == "/login/?reset=1"
    user.refresh_from_db()
    assert user.check_password("Brand-new-Pa55")
    assert "changed" in browser.get("/login/?reset=1").content.decode()


def test_forgot_password_for_an_unknown_address_looks_the_same(inbox):
    response = Client().post("/login/forgot/", {"address": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/login/forgot/code/"
    assert not inbox("nobody@example.com")


def test_code_page_without_an_address_goes_back():
    assert Client().get("/login/forgot/code/")["Location"] == "/login/forgot/"
    assert Client().get("/register/code/")["Location"] == "/register/"


def test_register_by_email_starts_a_session(inbox):
    browser = Client()
    assert browser.post("/register/", {"address": "new@corp.example"}).status_code == 302
    response = browser.post(
        "/register/code/", {"code": inbox("new@corp.example"), "username": "newbie", "new_password": "Fresh-Passw0rd!"}
    )

    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.private_email == "new@corp.example"
    assert browser.session["_auth_user_id"] == str(user.pk)


def test_register_page_is_closed_when_registration_is_off():
    AccountConfig.objects.filter(pk=1).update(allow_register=False)
    from apps.accounts import config

    config.forget("account")
    assert Client().get("/register/").status_code == 403


def test_captcha_appears_after_repeated_sends(settings):
    settings.CODE_CAPTCHA_AFTER = 1
    browser = Client()
    browser.post("/login/forgot/", {"address": "a@corp.example"})

    page = browser.post("/login/forgot/", {"address": "b@corp.example"})

    assert page.status_code == 400
    key = page.context["captcha_key"]
    assert f"/siteapi/oneid/service/captcha/image/{key}/" in page.content.decode()
    ok = browser.post(
        "/login/forgot/", {"address": "b@corp.example", "captcha_key": key, "captcha": captcha.answer_for_tests(key)}
    )
    assert ok.status_code == 302
