"""QR-code login over real HTTP: ArkID's live server, the DingTalk emulator, a browser-like session."""

from __future__ import annotations

import importlib
import re
import urllib.parse
from importlib import import_module

import pytest
import requests
from django.apps import apps as django_apps
from django.conf import settings

from apps.audit.models import Action, Event
from apps.dingtalk import actions
from apps.dingtalk.models import DingTalkSettings, DingTalkUser
from apps.dingtalk.sync import run_sync
from apps.directory.models import ExternalIdentity, Origin, User
from apps.directory.tests.factories import create_test_user

pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """Follows ArkID's and the emulator's redirects one by one, like a browser would."""

    def __init__(self, live_server):
        self.base = live_server.url
        self.http = requests.Session()

    def start(self, next_url: str = "/me/") -> str:
        """ArkID's start view; returns the emulator's login page URL it redirected to."""
        response = self.http.get(
            f"{self.base}/login/source/dingtalk/", params={"next": next_url}, allow_redirects=False
        )
        assert response.status_code == 302, response.text[:300]
        return response.headers["Location"]

    def pick(self, auth_url: str, userid: str) -> str:
        """Pick an employee on the emulator's page; returns the callback URL DingTalk sends back."""
        page = self.http.get(auth_url, allow_redirects=False)
        assert page.status_code == 200
        links = [urllib.parse.unquote(h.replace("&amp;", "&")) for h in re.findall(r'href="([^"]+)"', page.text)]
        link = next(h for h in links if f"userid={userid}" in h)
        emulator = urllib.parse.urlsplit(auth_url)
        response = self.http.get(f"{emulator.scheme}://{emulator.netloc}{link}", allow_redirects=False)
        assert response.status_code == 302
        return response.headers["Location"]

    def callback(self, url: str) -> requests.Response:
        return self.http.get(url, allow_redirects=False)

    def login(self, userid: str) -> requests.Response:
        return self.callback(self.pick(self.start(), userid))


@pytest.fixture(autouse=True)
def _builtin_group_types():
    """A transactional test empties the tables, data migrations included: put them back."""
    importlib.import_module("apps.directory.migrations.0002_builtin_group_types").create_builtin_types(
        django_apps, None
    )


@pytest.fixture
def browser(live_server):
    return Browser(live_server)


def _first_userid(running) -> str:
    return next(iter(running.emulator.org.users))


def _session_user_id(browser: Browser) -> str | None:
    """Whom the browser's ArkID session cookie logs in (read from the session store)."""
    key = browser.http.cookies.get(settings.SESSION_COOKIE_NAME)
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).get("_auth_user_id") if key else None


def test_start_redirects_to_dingtalk_with_the_documented_parameters(emulator, browser):
    auth_url = browser.start()
    parts = urllib.parse.urlsplit(auth_url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}" == emulator.base and parts.path == "/oauth2/auth"
    assert query["response_type"] == "code" and query["scope"] == "openid" and query["prompt"] == "consent"
    assert query["client_id"] == emulator.emulator.app_key and query["state"]
    assert query["redirect_uri"] == f"{browser.base}/login/source/dingtalk/callback/"


def test_synced_member_logs_in_and_the_identity_binds_by_unionid(emulator, browser):
    run_sync()
    userid = _first_userid(emulator)
    response = browser.login(userid)
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    user = DingTalkUser.objects.get(userid=userid).user
    identity = ExternalIdentity.objects.get(provider="dingtalk", user=user)
    assert identity.external_id == emulator.emulator.org.users[userid]["unionid"]
    assert _session_user_id(browser) == str(user.pk)
    event = Event.objects.filter(action=Action.LOGIN_SUCCEEDED).latest("id")
    assert event.actor_id == user.pk and event.detail == {"via": "source:dingtalk"}
    # A second login finds the identity directly.
    assert browser.login(userid).headers["Location"] == "/me/"
    assert ExternalIdentity.objects.filter(provider="dingtalk").count() == 1


@pytest.mark.parametrize("param", ["authCode", "code"])
def test_both_authcode_and_code_are_accepted(emulator, browser, param):
    run_sync()
    callback = browser.pick(browser.start(), _first_userid(emulator))
    parts = urllib.parse.urlsplit(callback)
    query = dict(urllib.parse.parse_qsl(parts.query))
    renamed = {param: query["authCode"], "state": query["state"]}
    response = browser.callback(f"{browser.base}{parts.path}?{urllib.parse.urlencode(renamed)}")
    assert response.status_code == 302 and response.headers["Location"] == "/me/"


def test_state_mismatch_is_refused_and_audited(emulator, browser):
    run_sync()
    callback = browser.pick(browser.start(), _first_userid(emulator))
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    response = browser.callback(forged)
    assert response.status_code == 400
    assert not ExternalIdentity.objects.exists()
    event = Event.objects.filter(action=Action.LOGIN_FAILED).latest("id")
    assert event.detail == {"via": "source:dingtalk", "reason": "bad_state"}
    # The state was used up by the failed attempt: the genuine callback no longer works either.
    assert browser.callback(callback).status_code == 400


def test_not_a_member_gets_a_clear_page_and_no_account(emulator, browser):
    emulator.control("outsider", {"userid": "outsider1", "name": "外人", "mobile": "13900001111"})
    users_before = User.objects.count()
    response = browser.login("outsider1")
    assert response.status_code == 403
    assert "not a member of this organisation" in response.text or "不是本组织" in response.text
    assert User.objects.count() == users_before and not ExternalIdentity.objects.exists()
    assert _session_user_id(browser) is None
    event = Event.objects.filter(action=Action.LOGIN_FAILED).latest("id")
    assert event.detail["reason"] == "not_a_member"


def test_unknown_code_is_refused(emulator, browser):
    callback = browser.pick(browser.start(), _first_userid(emulator))
    bad = re.sub(r"authCode=[^&]+", "authCode=nosuchcode", callback)
    response = browser.callback(bad)
    assert response.status_code == 400 and _session_user_id(browser) is None
    assert Event.objects.filter(action=Action.LOGIN_FAILED).latest("id").detail["reason"] == "bad_code"


def test_dingtalk_failure_is_a_502(emulator, browser, settings):
    callback = browser.pick(browser.start(), _first_userid(emulator))
    settings.DINGTALK_APP_SECRET = "wrong-secret"  # DingTalk refuses the app: not the person's fault
    response = browser.callback(callback)
    assert response.status_code == 502
    assert Event.objects.filter(action=Action.LOGIN_FAILED).latest("id").detail["reason"] == "provider_error"


def test_user_deactivated_locally_is_refused(emulator, browser):
    run_sync()
    userid = _first_userid(emulator)
    User.objects.filter(pk=DingTalkUser.objects.get(userid=userid).user_id).update(is_active=False)
    response = browser.login(userid)
    assert response.status_code == 400
    assert Event.objects.filter(action=Action.LOGIN_FAILED).latest("id").detail["reason"] == "inactive"


def test_member_without_a_local_account_is_refused_unless_provisioning_is_on(emulator, browser):
    userid = _first_userid(emulator)
    response = browser.login(userid)
    assert response.status_code == 403 and not DingTalkUser.objects.exists()
    assert Event.objects.filter(action=Action.LOGIN_FAILED).latest("id").detail["reason"] == "no_account"

    actions.update_settings({"login_provisioning": True}, actor=None)
    response = browser.login(userid)
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    user = DingTalkUser.objects.get(userid=userid).user
    assert user.origin == Origin.DINGTALK and user.is_active
    assert ExternalIdentity.objects.get(provider="dingtalk").user == user


def test_unsynced_member_is_matched_to_a_local_user_by_mobile(emulator, browser):
    userid, record = next((u, r) for u, r in emulator.emulator.org.users.items() if r["mobile"])
    local = create_test_user(username="local1", mobile=f"+86{record['mobile']}")
    response = browser.login(userid)
    assert response.status_code == 302
    assert ExternalIdentity.objects.get(provider="dingtalk").user == local

    assert _session_user_id(browser) == str(local.pk)


def test_no_match_when_matching_is_off(emulator, browser):
    DingTalkSettings.objects.filter(pk=DingTalkSettings.load().pk).update(match_by_mobile=False, match_by_email=False)
    userid, record = next((u, r) for u, r in emulator.emulator.org.users.items() if r["mobile"])
    create_test_user(username="local1", mobile=f"+86{record['mobile']}")
    response = browser.login(userid)
    assert response.status_code == 403 and not ExternalIdentity.objects.exists()
    assert _session_user_id(browser) is None


def test_meta_reports_qr_login_only_when_configured(emulator, client, settings):
    body = client.get("/siteapi/oneid/meta/").json()
    assert body["account_config"]["support_ding_qr"] is True
    assert body["ding_config"]["app_key"] == emulator.emulator.app_key
    assert "app_secret" not in str(body)
    settings.DINGTALK_APP_KEY = ""
    settings.DINGTALK_APP_SECRET = ""
    body = client.get("/siteapi/oneid/meta/").json()
    assert body["account_config"]["support_ding_qr"] is False
    assert client.get("/login/source/dingtalk/").status_code == 404


def test_in_app_login_through_the_jsapi_page(emulator, browser):
    run_sync()
    userid = _first_userid(emulator)
    start = browser.http.get(
        f"{browser.base}/login/source/dingtalk/", params={"inapp": "1", "next": "/me/"}, allow_redirects=False
    )
    assert start.status_code == 302 and start.headers["Location"].startswith("/dingtalk/login/inapp/?state=")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.headers["Location"]).query))["state"]
    page = browser.http.get(f"{browser.base}{start.headers['Location']}")
    assert page.status_code == 200 and "requestAuthCode" in page.text
    assert '"/login/source/dingtalk/callback/"' in page.text and f'"{state}"' in page.text
    # What dd.runtime.permission.requestAuthCode does inside DingTalk: the emulator issues a code.
    emulator.emulator.codes["inapp-code-1"] = userid
    query = urllib.parse.urlencode({"inapp_code": "inapp-code-1", "state": state})
    response = browser.callback(f"{browser.base}/login/source/dingtalk/callback/?{query}")
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    assert _session_user_id(browser) == str(DingTalkUser.objects.get(userid=userid).user_id)
    # The code was single use.
    again = browser.http.get(f"{browser.base}/login/source/dingtalk/?inapp=1", allow_redirects=False)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(again.headers["Location"]).query))["state"]
    query = urllib.parse.urlencode({"inapp_code": "inapp-code-1", "state": state})
    assert browser.callback(f"{browser.base}/login/source/dingtalk/callback/?{query}").status_code == 400


def test_in_app_page_is_not_served_without_configuration(client, settings):
    settings.DINGTALK_APP_KEY = ""
    settings.DINGTALK_APP_SECRET = ""
    assert client.get("/dingtalk/login/inapp/?state=x").status_code == 404


def test_embedded_qr_page_with_the_redirect_as_fallback(emulator, browser):
    run_sync()
    login_page = browser.http.get(f"{browser.base}/login/", params={"next": "/me/"}).text
    assert '/login/source/dingtalk/?embed=1&amp;next=%2Fme%2F"' in login_page  # the page's button
    start = browser.http.get(
        f"{browser.base}/login/source/dingtalk/", params={"embed": "1", "next": "/me/"}, allow_redirects=False
    )
    assert start.status_code == 302 and start.headers["Location"].startswith("/dingtalk/login/qr/?state=")
    page = browser.http.get(f"{browser.base}{start.headers['Location']}")
    assert page.status_code == 200 and "DTFrameLogin" in page.text
    assert f'"client_id": "{emulator.emulator.app_key}"' in page.text
    fallback = re.search(r'id="dingtalk-fallback" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert fallback.startswith(f"{emulator.base}/oauth2/auth?")
    # Offline (no DingTalk script): the fallback link completes the login with the same state.
    response = browser.callback(browser.pick(fallback, _first_userid(emulator)))
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    assert _session_user_id(browser) is not None


def test_public_pages_do_not_create_the_settings_row(client):
    client.get("/siteapi/oneid/meta/")
    client.get("/login/")
    assert not DingTalkSettings.objects.exists()
