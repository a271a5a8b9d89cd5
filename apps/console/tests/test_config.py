"""The Settings area: access, registration and login methods, password and MFA policy, the
login page with its preview. Senders, LDAP and OIDC keys are in test_config_*.py."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from apps.accounts.models import AccountConfig, PasswordPolicy
from apps.audit.models import Action, Event
from apps.directory.models import Organization
from apps.permissions.actions.manager_groups import create_manager_group
from apps.permissions.models import Permission

from .conftest import sign_in

pytestmark = pytest.mark.django_db


# For the File storage link test: ROOT_URLCONF = this module (the project's URLs by name, as
# the console may not import the project's URL module, which mounts apps.ops).
urlpatterns = [
    path("console/storage/", lambda request: HttpResponse("storage"), name="console-storage"),
    path("", include("arkid.urls")),
]

PAGES = [
    "/console/config/",
    "/console/config/accounts/",
    "/console/config/security/",
    "/console/config/senders/",
    "/console/config/login-page/",
    "/console/config/login-page/preview/",
    "/console/config/ldap/",
    "/console/config/oidc-keys/",
]
POSTS = [
    "/console/config/accounts/",
    "/console/config/security/",
    "/console/config/senders/email/",
    "/console/config/senders/sms/test/",
    "/console/config/login-page/",
    "/console/config/ldap/service-accounts/",
    "/console/config/ldap/service-accounts/wiki/rotate/",
    "/console/config/oidc-keys/rotate/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_opens_for_an_administrator(admin_web, url):
    assert admin_web.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_without_system_config_write_every_page_is_403(boss_web, plain_web, url):
    assert boss_web.get(url).status_code == 403
    assert plain_web.get(url).status_code == 403


@pytest.mark.parametrize("url", POSTS)
def test_without_system_config_write_every_post_is_403_and_changes_nothing(boss_web, url):
    before = Event.objects.count()
    assert boss_web.post(url, {"app": "wiki", "min_length": 20}).status_code == 403
    assert Event.objects.count() == before


def test_anonymous_is_sent_to_login():
    response = Client().get("/console/config/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/console/config/")


def test_posts_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    assert client.post("/console/config/oidc-keys/rotate/").status_code == 403
    assert not Event.objects.filter(action=Action.OAUTH_KEYS_ROTATED).exists()


def test_index_lists_the_pages_and_file_storage_only_when_mounted(admin_web):
    page = admin_web.get("/console/config/")
    keys = [p["key"] for p in page.context["settings_pages"]]
    assert keys[:4] == ["accounts", "senders", "security", "login_page"]
    assert "ldap" in keys and "oidc_keys" in keys
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("console-storage")
        assert "storage" in keys
    except NoReverseMatch:
        assert "storage" not in keys


def test_index_links_file_storage_once_its_page_exists(admin_web, settings):
    settings.ROOT_URLCONF = __name__  # the project's URLs plus a stand-in File storage page
    page = admin_web.get("/console/config/")
    assert 'href="/console/storage/"' in page.content.decode()


def test_a_settings_holding_sub_admin_may_enter(world):
    create_manager_group(
        actor=world["admin"],
        name="Settings admins",
        uid="settings-admins",
        member_users=[world["erin"]],
        perms=list(Permission.objects.filter(uid="system_config_write")),
        apps=[world["wiki"]],
    )
    web = sign_in("erin")
    assert web.get("/console/config/").status_code == 200
    assert any(item["key"] == "config" for item in web.get("/console/").context["nav"])


# Registration and login methods


def test_registration_switches_need_a_sender_inline_error_and_nothing_saved(admin_web):
    response = admin_web.post("/console/config/accounts/", {"allow_email": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_allow_email-errors"' in html and "Configure the email sender first." in html
    assert not AccountConfig.load().allow_email
    assert not Event.objects.filter(action=Action.ACCOUNT_CONFIG_UPDATED).exists()


def test_registration_unknown_group_is_an_inline_error(admin_web):
    response = admin_web.post("/console/config/accounts/", {"register_group_uid": "nope"})
    assert response.status_code == 400
    assert "No group has this uid." in response.content.decode()


def test_registration_saved_through_the_audited_action(admin_web, world):
    log_sender = {"email-vendor": "log", "email-port": 587, "email-security": "starttls", "email-nickname": "ArkID"}
    assert admin_web.post("/console/config/senders/email/", log_sender).status_code == 302
    response = admin_web.post(
        "/console/config/accounts/", {"allow_email": "on", "allow_register": "on", "register_group_uid": "sales"}
    )
    assert response.status_code == 302
    stored = AccountConfig.load()
    assert stored.allow_email and stored.allow_register and stored.register_group_uid == "sales"
    event = Event.objects.filter(action=Action.ACCOUNT_CONFIG_UPDATED).latest("id")
    assert event.actor == world["admin"] and event.changes["account.allow_register"] == [False, True]
    methods = {m["name"]: m["on"] for m in admin_web.get("/console/config/accounts/").context["methods"]}
    assert methods["Password"] and methods["Email code"] and not methods["SMS code"]


def test_login_methods_list_the_registered_sources(admin_web):
    names = [m["name"] for m in admin_web.get("/console/config/accounts/").context["methods"]]
    assert "DingTalk" in names


# Password and MFA policy


def test_password_policy_errors_inline_and_nothing_saved(admin_web):
    data = {"min_length": 4, "min_upper": 0, "min_lower": 0, "min_letter": 0, "min_digit": 0, "min_special": 0,
            "min_word": 0, "mfa_policy": "all"}  # fmt: skip
    response = admin_web.post("/console/config/security/", data)
    assert response.status_code == 400
    assert 'id="id_min_length-errors"' in response.content.decode()
    assert AccountConfig.load().mfa_policy == "optional"  # all sections or none

    response = admin_web.post("/console/config/security/", {**data, "min_length": 10, "min_digit": 6, "min_upper": 6})
    assert response.status_code == 400
    assert "Must be at least the sum of the required characters (12)." in response.content.decode()

    response = admin_web.post("/console/config/security/", {**data, "min_length": "x", "mfa_policy": "never"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_min_length-errors"' in html and 'id="id_mfa_policy-errors"' in html


def test_password_and_mfa_policy_saved_and_audited(admin_web):
    data = {"min_length": 12, "min_upper": 1, "min_lower": 1, "min_letter": 0, "min_digit": 1, "min_special": 0,
            "min_word": 0, "mfa_policy": "admins"}  # fmt: skip
    assert admin_web.post("/console/config/security/", data).status_code == 302
    policy = PasswordPolicy.load()
    assert (policy.min_length, policy.min_upper, policy.min_digit) == (12, 1, 1)
    assert AccountConfig.load().mfa_policy == "admins"
    changes = Event.objects.get(action=Action.ACCOUNT_CONFIG_UPDATED).changes
    assert changes["password.min_length"] == [8, 12] and changes["account.mfa_policy"] == ["optional", "admins"]
    form = admin_web.get("/console/config/security/").context["form"]
    assert form.initial["min_length"] == 12


# Login page


def _branding(**overrides) -> dict:
    return {"name": "Acme", "name_en": "Acme Inc", "icon": "https://cdn.example.com/logo.png", "color": "#C0FFEE",
            **overrides}  # fmt: skip


def test_login_page_saved_audited_and_shown_on_login(admin_web, world):
    assert admin_web.post("/console/config/login-page/", _branding()).status_code == 302
    org = Organization.objects.get(pk=1)
    assert (org.name, org.color, org.icon) == ("Acme", "c0ffee", "https://cdn.example.com/logo.png")
    event = Event.objects.get(action=Action.ORGANIZATION_UPDATED)
    assert event.actor == world["admin"] and event.changes["color"] == ["006064", "c0ffee"]
    login = Client().get("/login/").content.decode()
    assert "--arkid-primary: #c0ffee" in login and 'src="https://cdn.example.com/logo.png"' in login


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("color", "red;}body{x}", "Enter a hex colour"),
        ("color", "#12345", "Enter a hex colour"),
        ("icon", "javascript:alert(1)", "Use an http(s) URL"),
        ("icon", "//evil.example/x.png", "Use an http(s) URL"),
        ("name", "", "This field is required."),
    ],
)
def test_login_page_bad_values_are_inline_errors(admin_web, field, value, message):
    response = admin_web.post("/console/config/login-page/", _branding(**{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}-errors"' in html and message in html
    assert not Organization.objects.filter(pk=1).exists()
    assert not Event.objects.filter(action=Action.ORGANIZATION_UPDATED).exists()


def test_preview_renders_the_typed_values_without_saving(admin_web):
    response = admin_web.get("/console/config/login-page/preview/", _branding(name="<b>Preview</b>"),
                             HTTP_HX_REQUEST="true")  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and 'data-colour="#c0ffee"' in html
    assert "&lt;b&gt;Preview&lt;/b&gt;" in html and "<b>Preview" not in html
    assert "<nav" not in html  # a fragment, not a page
    assert not Organization.objects.filter(pk=1).exists()


def test_preview_of_a_bad_colour_falls_back_and_says_why(admin_web):
    html = admin_web.get("/console/config/login-page/preview/",
                         _branding(color="url(x)", icon="javascript:alert(1)")).content.decode()  # fmt: skip
    assert 'data-colour="#006064"' in html and "Enter a hex colour" in html
    assert "javascript:" not in html


def test_pages_are_translated_into_simplified_chinese(admin_web):
    html = admin_web.get("/console/config/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "注册与登录" in html and "OIDC 签名密钥" in html
    html = admin_web.get("/console/config/senders/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "发送测试邮件" in html and "留空则保留已保存的密钥" in html


def test_unknown_sender_channel_is_404(admin_web):
    assert admin_web.post("/console/config/senders/fax/", {}).status_code == 404
    assert admin_web.post("/console/config/senders/fax/test/", {}).status_code == 404
