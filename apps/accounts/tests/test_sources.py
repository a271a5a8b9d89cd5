"""The login-source framework with a test source standing in for a provider such as DingTalk."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from apps.accounts.sources import ExternalProfile, LoginSource, SourceError, register, unregister
from apps.accounts.tests.conftest import PASSWORD
from apps.directory.models import ExternalIdentity, Origin, User

pytestmark = pytest.mark.django_db

PROFILES = {"code-alice": ExternalProfile(external_id="ext-1", name="Alice Ext", username_hint="alice_ext")}


class ExampleSource(LoginSource):
    key = "example"
    name = "Example"
    origin = Origin.DINGTALK
    provisioning = False

    def allows_provisioning(self) -> bool:
        return self.provisioning

    def authorization_url(self, request, *, state, redirect_uri):
        return f"https://provider.example/authorize?state={state}&redirect_uri={redirect_uri}"

    def fetch_profile(self, request, params, *, redirect_uri):
        profile = PROFILES.get(params.get("code", ""))
        if profile is None:
            raise SourceError("unknown code")
        return profile


@pytest.fixture
def source():
    src = register(ExampleSource())
    yield src
    unregister("example")


def start(browser: Client, next_url: str = "") -> str:
    response = browser.get("/login/source/example/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"] == ["http://testserver/login/source/example/callback/"]
    return query["state"][0]


def test_login_page_shows_the_button(source):
    page = Client().get("/login/?next=/portal/").content.decode()
    assert 'href="/login/source/example/?next=%2Fportal%2F"' in page


def test_linked_identity_logs_in(source, user):
    ExternalIdentity.objects.create(provider="example", external_id="ext-1", user=user)
    browser = Client()
    state = start(browser, "/portal/")

    response = browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"})

    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert browser.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("state", ["", "forged"])
def test_bad_state_is_refused(source, user, state):
    ExternalIdentity.objects.create(provider="example", external_id="ext-1", user=user)
    browser = Client()
    start(browser)

    response = browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"})

    assert response.status_code == 400
    assert "_auth_user_id" not in browser.session


def test_state_from_another_browser_is_refused(source, user):
    ExternalIdentity.objects.create(provider="example", external_id="ext-1", user=user)
    state = start(Client())
    victim = Client()
    start(victim)
    assert victim.get("/login/source/example/callback/", {"state": state, "code": "code-alice"}).status_code == 400


def test_state_is_single_use(source, user):
    ExternalIdentity.objects.create(provider="example", external_id="ext-1", user=user)
    browser = Client()
    state = start(browser)
    browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"})
    browser.post("/logout/")
    assert browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"}).status_code == 400


def test_provider_error_is_a_502_page(source):
    browser = Client()
    state = start(browser)
    assert browser.get("/login/source/example/callback/", {"state": state, "code": "nope"}).status_code == 502


def test_new_identity_binds_only_after_the_password(source, user):
    browser = Client()
    state = start(browser, "/portal/")
    response = browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"})
    assert response["Location"] == "/login/source/example/bind/"
    assert "_auth_user_id" not in browser.session

    wrong = browser.post("/login/source/example/bind/", {"identifier": "alice", "password": "nope"})
    assert wrong.status_code == 400 and not ExternalIdentity.objects.exists()
    # Posting someone's external id is impossible: the identity comes from the session only.
    ok = browser.post("/login/source/example/bind/", {"identifier": "alice", "password": PASSWORD, "external_id": "x"})

    assert ok.status_code == 302 and ok["Location"] == "/portal/"
    assert ExternalIdentity.objects.get(provider="example").external_id == "ext-1"
    assert ExternalIdentity.objects.get(provider="example").user == user
    assert browser.session["_auth_user_id"] == str(user.pk)


def test_provisioning_when_the_source_allows_it(source):
    source.provisioning = True
    browser = Client()
    state = start(browser)
    browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"})

    response = browser.post("/login/source/example/bind/", {"action": "create"})

    assert response.status_code == 302
    user = User.objects.get(external_identities__external_id="ext-1")
    assert user.username == "alice_ext" and user.origin == Origin.DINGTALK and not user.has_usable_password()


def test_create_is_refused_when_the_source_does_not_allow_it(source):
    browser = Client()
    state = start(browser)
    browser.get("/login/source/example/callback/", {"state": state, "code": "code-alice"})

    response = browser.post("/login/source/example/bind/", {"action": "create"})

    assert response.status_code == 400
    assert not User.objects.filter(username="alice_ext").exists()


def test_unknown_source_is_404():
    assert Client().get("/login/source/nothing/").status_code == 404
