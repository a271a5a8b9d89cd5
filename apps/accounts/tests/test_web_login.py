"""The server-rendered login page, forced password change and logout."""

from __future__ import annotations

import pytest
from django.contrib.auth.signals import user_logged_out
from django.test import Client

from apps.accounts.tests.conftest import PASSWORD, events
from apps.audit.models import Action
from apps.directory.models import Organization
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def post_with_csrf(browser: Client, url: str, data: dict, **extra):
    browser.get("/login/")
    return browser.post(url, {**data, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}, **extra)


def sign_in(browser, identifier="alice", password=PASSWORD, next_url=""):
    return post_with_csrf(browser, "/login/", {"identifier": identifier, "password": password, "next": next_url})


def test_page_shows_branding_with_a_safe_colour(browser):
    Organization.objects.update_or_create(
        pk=1, defaults={"name": "Acme", "icon": "https://cdn.example/l.png", "color": "1a2b3c"}
    )

    page = browser.get("/login/").content.decode()

    assert "Acme" in page
    assert "--arkid-primary: #1a2b3c;" in page
    assert 'src="https://cdn.example/l.png"' in page


def test_hostile_colour_and_logo_are_dropped(browser):
    Organization.objects.update_or_create(
        pk=1, defaults={"name": "Acme", "icon": "javascript:alert(1)", "color": "red;}</style>"}
    )

    page = browser.get("/login/").content.decode()

    assert "--arkid-primary: #006064;" in page
    assert "javascript:" not in page


def test_login_starts_a_session_and_follows_a_local_next(browser, user):
    response = sign_in(browser, next_url="/oauth/authorize/?client_id=x")

    assert response.status_code == 302
    assert response["Location"] == "/oauth/authorize/?client_id=x"
    assert browser.session["_auth_user_id"] == str(user.pk)
    assert events(Action.LOGIN_SUCCEEDED)[-1].detail == {"via": "web"}


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"]
)
def test_foreign_next_falls_back_to_the_root(browser, user, target):
    response = sign_in(browser, next_url=target)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_email_and_mobile_work_too(browser):
    create_test_user("bob", email="bob@corp.example", mobile="+8618812345678")

    assert sign_in(browser, "bob@corp.example").status_code == 302
    assert sign_in(Client(enforce_csrf_checks=True), "188 1234 5678").status_code == 302


def test_wrong_password_and_unknown_user_get_one_message(browser, user):
    bad = sign_in(browser, password="nope")
    unknown = sign_in(Client(enforce_csrf_checks=True), identifier="ghost", password="nope")

    assert bad.status_code == unknown.status_code == 400
    assert "Invalid username or password." in bad.content.decode()
    assert "Invalid username or password." in unknown.content.decode()
    assert "_auth_user_id" not in browser.session


def test_lockout_shows_429_with_retry_after(browser, user, settings):
    settings.LOCKOUT_ACCOUNT_DELAY_AFTER = 1
    sign_in(browser, password="nope")

    response = sign_in(browser)

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert "_auth_user_id" not in browser.session


def test_post_without_csrf_token_is_refused(browser, user):
    response = browser.post("/login/", {"identifier": "alice", "password": PASSWORD})

    assert response.status_code == 403


def test_forced_password_change_before_the_session_starts(browser):
    user = create_test_user("carol", must_reset_password=True)

    response = sign_in(browser, "carol", next_url="/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/login/password/?next=%2Fportal%2F"
    assert "_auth_user_id" not in browser.session

    mismatch = post_with_csrf(browser, "/login/password/", {"new_password": "Fresh-Passw0rd!", "confirm": "other"})
    assert mismatch.status_code == 400
    weak = post_with_csrf(browser, "/login/password/", {"new_password": "carol", "confirm": "carol"})
    assert weak.status_code == 400

    done = post_with_csrf(
        browser,
        "/login/password/",
        {"new_password": "Fresh-Passw0rd!", "confirm": "Fresh-Passw0rd!", "next": "/portal/"},
    )
    assert done.status_code == 302 and done["Location"] == "/portal/"
    user.refresh_from_db()
    assert not user.must_reset_password and user.check_password("Fresh-Passw0rd!")
    assert browser.session["_auth_user_id"] == str(user.pk)


def test_forced_change_page_without_a_pending_login_goes_back(browser):
    response = browser.get("/login/password/")

    assert response.status_code == 302 and response["Location"] == "/login/"


def test_logout_is_post_only_and_sends_user_logged_out(browser, user):
    sign_in(browser)
    received = []
    user_logged_out.connect(lambda **kw: received.append(kw["user"]), weak=False, dispatch_uid="t")
    try:
        assert browser.get("/logout/").status_code == 405
        response = post_with_csrf(browser, "/logout/", {})
    finally:
        user_logged_out.disconnect(dispatch_uid="t")

    assert response.status_code == 302
    assert received == [user]
    assert "_auth_user_id" not in browser.session
    assert len(events(Action.LOGOUT)) == 1


def test_password_change_elsewhere_ends_the_session(browser, user):
    sign_in(browser)
    user.set_password("An0ther-passw0rd")
    user.save()

    response = browser.get("/login/")

    assert response.status_code == 200  # the form again: the old session is no longer valid
    assert "_auth_user_id" not in browser.session


def test_page_speaks_chinese(browser, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = browser.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "用户名、邮箱或手机号" in page and "登录" in page
