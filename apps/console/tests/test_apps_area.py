"""The console's Apps area through the test client: list, create, edit, delete, interface
details, one-time secrets, in-app permissions, white/black lists and result lists; scope
(a sub-administrator sees and changes only the apps and owners they manage) and audit.

World (see conftest): boss (in Sales) manages Sales and East and the app "wiki", not
"secret"; carol is in East, dave in Eng, erin in HR.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from apps.audit.models import Action, Event
from apps.oidc.models import Application
from apps.permissions import engine
from apps.permissions.actions.apps import create_app
from apps.permissions.actions.manager_groups import create_manager_group
from apps.permissions.models import App, Permission, PermissionStatus

pytestmark = pytest.mark.django_db

OAUTH = {
    "name": "Mail",
    "uid": "mail",
    "index": "https://mail.example.com/",
    "use_oauth": "on",
    "oauth_client_type": "confidential",
    "oauth_grant_types": ["authorization_code", "refresh_token"],
    "oauth_redirect_uris": "https://mail.example.com/cb\nhttps://mail.example.com/cb2",
    "oauth_algorithm": "RS256",
}


def _events(action) -> list[Event]:
    return list(Event.objects.filter(action=action).order_by("id"))


# --- list ------------------------------------------------------------------------------------


def test_admin_lists_every_app_with_search_and_sort(admin_web, world):
    page = admin_web.get("/console/apps/").content.decode()
    assert 'data-app="wiki"' in page and 'data-app="secret"' in page
    page = admin_web.get("/console/apps/?q=wik").content.decode()
    assert 'data-app="wiki"' in page and 'data-app="secret"' not in page
    page = admin_web.get("/console/apps/?sort=-name").content.decode()
    assert page.index('data-app="wiki"') < page.index('data-app="secret"')
    # An unknown sort key falls back to the default instead of probing fields.
    assert admin_web.get("/console/apps/?sort=created_by__password").status_code == 200


def test_list_is_paginated_on_the_server(admin_web, world):
    for n in range(25):
        create_app(actor=world["admin"], name=f"Bulk {n:02d}", uid=f"bulk{n:02d}")
    first = admin_web.get("/console/apps/?q=bulk").content.decode()
    assert first.count('data-app="bulk') == 20
    second = admin_web.get("/console/apps/?q=bulk&page=2").content.decode()
    assert second.count('data-app="bulk') == 5
    assert "q=bulk&amp;page=1" in second  # the pager keeps the search


def test_sub_admin_sees_only_managed_apps(boss_web, world):
    page = boss_web.get("/console/apps/").content.decode()
    assert 'data-app="wiki"' in page and 'data-app="secret"' not in page
    assert "/console/apps/_new/" not in page  # no system_app_create
    for url in (
        "/console/apps/secret/",
        "/console/apps/secret/edit/",
        "/console/apps/secret/perms/",
        "/console/apps/secret/perms/app_secret_access/",
        "/console/apps/secret/perms/app_secret_access/holders/",
        "/console/apps/wiki/perms/app_secret_access/",  # another app's permission under a managed app
    ):
        assert boss_web.get(url).status_code == 404, url
    for url in ("/console/apps/secret/delete/", "/console/apps/secret/rotate/oauth_app/"):
        assert boss_web.post(url).status_code == 404, url
    assert App.objects.filter(uid="secret").exists()


def test_plain_user_and_anonymous_are_kept_out(plain_web, client, world):
    assert plain_web.get("/console/apps/").status_code == 403
    assert client.get("/console/apps/").status_code == 302


# --- create, edit, delete -------------------------------------------------------------------


def test_create_with_oauth_shows_the_secret_once(admin_web, world):
    response = admin_web.post("/console/apps/_new/", OAUTH)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    app = App.objects.get(uid="mail")
    client = Application.objects.get(app=app)
    secret = response.context["one_time"]["oauth_app"]["client_secret"]
    assert len(secret) >= 64 and secret in page and client.client_id in page
    assert check_password(secret, client.client_secret)  # stored only as a hash
    # Never again: not on the detail page, the edit form, the list, nor in any event.
    for url in ("/console/apps/mail/", "/console/apps/mail/edit/", "/console/apps/", "/console/apps/mail/perms/"):
        assert secret not in admin_web.get(url).content.decode(), url
    assert all(secret not in str(e.changes) + str(e.detail) for e in Event.objects.all())
    detail = admin_web.get("/console/apps/mail/").content.decode()
    assert client.client_id in detail  # the client id is public
    assert "/.well-known/openid-configuration" in detail and "/oauth/token/" in detail
    assert 'data-copy="#fact-oauth_app-client_id"' in detail
    assert [e.target_id for e in _events(Action.APP_CREATED)][-1] == str(app.pk)
    assert _events(Action.OAUTH_CLIENT_SECRET_ISSUED)


def test_rotation_issues_a_new_secret_shown_once(admin_web, world):
    first = admin_web.post("/console/apps/_new/", OAUTH).context["one_time"]["oauth_app"]["client_secret"]
    response = admin_web.post("/console/apps/mail/rotate/oauth_app/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    second = response.context["one_time"]["oauth_app"]["client_secret"]
    assert second != first and second in response.content.decode()
    client = Application.objects.get(app__uid="mail")
    assert check_password(second, client.client_secret) and not check_password(first, client.client_secret)
    assert second not in admin_web.get("/console/apps/mail/").content.decode()
    assert len(_events(Action.OAUTH_CLIENT_SECRET_ISSUED)) == 2
    # Rotation keeps the configuration.
    assert client.redirect_uris == "https://mail.example.com/cb https://mail.example.com/cb2"


def test_rotation_needs_post_and_a_protocol_the_app_has(admin_web, world):
    assert admin_web.get("/console/apps/wiki/rotate/oauth_app/").status_code == 405
    assert admin_web.post("/console/apps/wiki/rotate/oauth_app/").status_code == 404
    assert admin_web.post("/console/apps/wiki/rotate/http_app/").status_code == 404


def test_ldap_secret_is_shown_once(admin_web, world):
    response = admin_web.post("/console/apps/_new/", {"name": "Git", "uid": "git", "use_ldap": "on"})
    shown = response.context["one_time"]["ldap_app"]
    assert shown["bind_dn"].startswith("cn=git,ou=apps,") and shown["secret"] in response.content.decode()
    detail = admin_web.get("/console/apps/git/").content.decode()
    assert shown["secret"] not in detail and shown["bind_dn"] in detail and "Base DN" in detail


def test_create_errors_are_inline_and_nothing_is_created(admin_web, world):
    bad = {
        **OAUTH,
        "uid": "Bad_Uid",
        "logo": "javascript:alert(1)",
        "oauth_redirect_uris": "ftp://x.example.com/",
        "oauth_algorithm": "HS256",
    }
    response = admin_web.post("/console/apps/_new/", bad)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"logo", "oauth_redirect_uris", "oauth_algorithm"}
    assert not App.objects.filter(name="Mail").exists()
    # The form is valid for Django but the action refuses the uid: still inline.
    response = admin_web.post("/console/apps/_new/", {**OAUTH, "uid": "Bad_Uid"})
    assert response.status_code == 400 and "uid" in response.context["form"].errors
    # The OAuth handler's own rule (code grant needs a redirect URI) lands on its field.
    response = admin_web.post("/console/apps/_new/", {**OAUTH, "oauth_redirect_uris": ""})
    assert response.status_code == 400
    assert "oauth_redirect_uris" in response.context["form"].errors
    # A taken uid.
    response = admin_web.post("/console/apps/_new/", {"name": "Another wiki", "uid": "wiki"})
    assert response.status_code == 400 and "uid" in response.context["form"].errors
    assert 'class="errors"' in response.content.decode()
    assert not App.objects.filter(name="Mail").exists()


def test_edit_changes_fields_and_protocols(admin_web, world):
    admin_web.post("/console/apps/_new/", OAUTH)
    form = admin_web.get("/console/apps/mail/edit/").context["form"]
    assert form.initial["oauth_redirect_uris"] == ["https://mail.example.com/cb", "https://mail.example.com/cb2"]
    data = {**OAUTH, "name": "Mail 2", "uid": "ignored", "oauth_skip_authorization": "on", "use_http": "on"}
    response = admin_web.post("/console/apps/mail/edit/", data)
    assert response.status_code == 302
    app = App.objects.get(uid="mail")  # the uid cannot change
    assert app.name == "Mail 2"
    assert set(app.protocols.values_list("name", flat=True)) == {"oauth_app", "http_app"}
    assert Application.objects.get(app=app).skip_authorization
    assert Permission.objects.get(uid="app_mail_access").name == "Mail 2"
    # Unticking a protocol removes it (and the OAuth client).
    data = {k: v for k, v in data.items() if k != "use_oauth"}
    assert admin_web.post("/console/apps/mail/edit/", data).status_code == 302
    assert not Application.objects.filter(app=app).exists()
    assert list(app.protocols.values_list("name", flat=True)) == ["http_app"]
    assert _events(Action.APP_UPDATED)


def test_delete_needs_post_and_audits(admin_web, world):
    assert admin_web.get("/console/apps/secret/delete/").status_code == 405
    response = admin_web.post("/console/apps/secret/delete/")
    assert response.status_code == 302 and response["Location"] == "/console/apps/"
    assert not App.objects.filter(uid="secret").exists()
    assert not Permission.objects.filter(uid="app_secret_access").exists()
    assert _events(Action.APP_DELETED)[-1].detail == {"perms": ["app_secret_access"]}


def test_csrf_is_required(world):
    from django.test import Client

    from apps.portal.tests.conftest import PASSWORD

    strict = Client(enforce_csrf_checks=True)
    login = strict.get("/login/")
    strict.post(
        "/login/", {"identifier": "admin", "password": PASSWORD, "csrfmiddlewaretoken": login.context["csrf_token"]}
    )
    assert strict.post("/console/apps/wiki/delete/").status_code == 403
    assert App.objects.filter(uid="wiki").exists()


def test_sub_admin_edits_a_managed_app(boss_web, world):
    response = boss_web.post("/console/apps/wiki/edit/", {"name": "Wiki!", "use_http": "on"})
    assert response.status_code == 302
    assert App.objects.get(uid="wiki").name == "Wiki!"
    assert _events(Action.APP_UPDATED)[-1].actor_id == world["boss"].pk


def test_sub_admin_with_app_create_gets_a_manager_group(world):
    from apps.portal.tests.conftest import sign_in

    create_manager_group(
        actor=world["admin"],
        name="App makers",
        uid="app-makers",
        member_users=[world["dave"]],
        perms=list(Permission.objects.filter(uid="system_app_create")),
        apps=[],
    )
    dave = sign_in("dave")
    assert "/console/apps/_new/" in dave.get("/console/apps/").content.decode()
    response = dave.post("/console/apps/_new/", {"name": "Dave's", "uid": "daves", "use_http": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/console/apps/daves/"
    assert dave.get("/console/apps/daves/").status_code == 200  # now in their scope
    assert 'data-app="daves"' in dave.get("/console/apps/").content.decode()


def test_sub_admin_without_app_create_cannot_create(boss_web, world):
    assert boss_web.get("/console/apps/_new/").status_code == 403
    assert boss_web.post("/console/apps/_new/", {"name": "Nope"}).status_code == 403
    assert not App.objects.filter(name="Nope").exists()


# --- in-app permissions -----------------------------------------------------------------------


def test_custom_permissions_add_rename_delete(admin_web, world):
    response = admin_web.post("/console/apps/wiki/perms/", {"name": "Edit pages", "action": "edit"})
    assert response.status_code == 302
    perm = Permission.objects.get(uid="app_wiki_edit")
    assert perm.kind == Permission.Kind.CUSTOM
    listing = admin_web.get("/console/apps/wiki/perms/").content.decode()
    assert 'data-perm="app_wiki_edit"' in listing and 'data-perm="app_wiki_access"' in listing
    assert 'data-perm="app_wiki_edit"' not in admin_web.get("/console/apps/wiki/perms/?q=access").content.decode()
    # Taken and malformed ids are inline errors.
    response = admin_web.post("/console/apps/wiki/perms/", {"name": "Again", "action": "edit"})
    assert response.status_code == 400 and "action" in response.context["form"].errors
    response = admin_web.post("/console/apps/wiki/perms/", {"name": "Bad", "action": "Not OK"})
    assert response.status_code == 400 and "action" in response.context["form"].errors
    response = admin_web.post("/console/apps/wiki/perms/", {"name": ""})
    assert response.status_code == 400 and "name" in response.context["form"].errors
    # Rename, then delete.
    url = "/console/apps/wiki/perms/app_wiki_edit/"
    assert admin_web.post(url + "rename/", {"name": "Edit every page"}).status_code == 302
    assert Permission.objects.get(pk=perm.pk).name == "Edit every page"
    assert admin_web.post(url + "rename/", {"name": ""}).status_code == 400
    assert admin_web.post(url + "delete/").status_code == 302
    assert not Permission.objects.filter(pk=perm.pk).exists()
    assert [
        len(_events(a)) for a in (Action.PERMISSION_CREATED, Action.PERMISSION_UPDATED, Action.PERMISSION_DELETED)
    ] == [1, 1, 1]


def test_access_permission_cannot_be_deleted(admin_web, world):
    response = admin_web.post("/console/apps/wiki/perms/app_wiki_access/delete/")
    assert response.status_code == 302
    assert Permission.objects.filter(uid="app_wiki_access").exists()
    assert "rename/" not in admin_web.get("/console/apps/wiki/perms/app_wiki_access/").content.decode()


# --- white/black lists and results ----------------------------------------------------------


def test_admin_grants_and_denies_with_the_pickers(admin_web, world):
    url = "/console/apps/wiki/perms/app_wiki_access/"
    response = admin_web.post(url, {"status": "1", "groups": ["d_sales"], "users": ["dave"]})
    assert response.status_code == 302
    perm = Permission.objects.get(uid="app_wiki_access")
    assert engine.has_perm(world["carol"], perm) and engine.has_perm(world["dave"], perm)  # carol via East ⊂ Sales
    assert admin_web.post(url, {"status": "-1", "users": ["carol"]}).status_code == 302
    assert not engine.has_perm(world["carol"], perm)
    owners = admin_web.get(url).content.decode()
    assert 'data-owner="d_sales"' in owners and 'data-owner="carol"' in owners and 'data-owner="dave"' in owners
    assert 'data-owner="carol"' not in admin_web.get(url + "?status=grant").content.decode()
    # The result list: who holds it and why (admin too, always).
    holders = admin_web.get(url + "holders/").content.decode()
    assert 'data-holder="boss"' in holders and 'data-holder="dave"' in holders
    assert 'data-holder="carol"' not in holders and 'data-holder="erin"' not in holders
    assert "Granted via" in holders and "Sales" in holders
    assert 'data-holder="dave"' not in admin_web.get(url + "holders/?q=bos").content.decode()
    # Remove (inherit) one owner.
    assert admin_web.post(url, {"status": "0", "users": ["dave"]}).status_code == 302
    assert not PermissionStatus.objects.filter(perm=perm, user=world["dave"]).exists()
    assert len(_events(Action.PERMISSION_STATUSES_CHANGED)) == 3


def test_bad_owner_input_is_a_field_error(admin_web, world):
    url = "/console/apps/wiki/perms/app_wiki_access/"
    response = admin_web.post(url, {"status": "1"})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    response = admin_web.post(url, {"status": "7", "users": ["dave"]})
    assert response.status_code == 400 and "status" in response.context["form"].errors
    response = admin_web.post(url, {"status": "1", "users": ["nobody"]})
    assert response.status_code == 400 and "users" in response.context["form"].errors
    response = admin_web.post(url, {"status": "1", "groups": ["g_nowhere"]})
    assert response.status_code == 400 and "groups" in response.context["form"].errors
    assert not PermissionStatus.objects.exists()


def test_sub_admin_cannot_grant_to_owners_outside_their_scope(boss_web, world):
    url = "/console/apps/wiki/perms/app_wiki_access/"
    response = boss_web.post(url, {"status": "1", "users": ["dave"]})  # dave is in Eng
    assert response.status_code == 400 and "users" in response.context["form"].errors
    response = boss_web.post(url, {"status": "1", "groups": ["d_hr"]})
    assert response.status_code == 400 and "groups" in response.context["form"].errors
    response = boss_web.post(url, {"status": "1", "groups": ["d_east", "d_hr"]})  # all or nothing
    assert response.status_code == 400
    assert not PermissionStatus.objects.exists()
    assert boss_web.post(url, {"status": "1", "groups": ["d_east"], "users": ["carol"]}).status_code == 302
    assert PermissionStatus.objects.filter(perm__uid="app_wiki_access").count() == 2


def test_sub_admin_sees_only_owners_and_holders_in_scope(boss_web, admin_web, world):
    url = "/console/apps/wiki/perms/app_wiki_access/"
    admin_web.post(url, {"status": "1", "groups": ["d_hq", "d_eng"], "users": ["erin"]})
    owners = boss_web.get(url).content.decode()
    assert 'data-owner="d_hq"' not in owners and 'data-owner="d_eng"' not in owners
    assert 'data-owner="erin"' not in owners
    holders = boss_web.get(url + "holders/").content.decode()
    assert 'data-holder="carol"' in holders
    assert 'data-holder="dave"' not in holders and 'data-holder="erin"' not in holders


def test_too_many_owners_at_once_is_refused(admin_web, world):
    users = [f"u{n}" for n in range(501)]
    response = admin_web.post("/console/apps/wiki/perms/app_wiki_access/", {"status": "1", "users": users})
    assert response.status_code == 400 and response.context["form"].non_field_errors()


def test_pages_are_translated_to_simplified_chinese(admin_web, world):
    page = admin_web.get("/console/apps/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "添加应用" in page and "按名称或 UID 搜索应用" in page
    admin_web.post("/console/apps/_new/", {**OAUTH})
    detail = admin_web.get("/console/apps/mail/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "接口详情" in detail and "轮换密钥" in detail


# --- scale: a page costs the same number of queries however many rows there are ------------


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_and_result_pages_cost_constant_queries(admin_web, world):
    from apps.directory.tests.factories import add_member, create_test_user

    for n in range(3):
        create_app(actor=world["admin"], name=f"Few {n}", uid=f"few{n}", protocols={"http_app": {}})
    admin_web.post("/console/apps/wiki/perms/app_wiki_access/", {"status": "1", "groups": ["d_sales"]})
    few_apps = _queries(admin_web, "/console/apps/")
    few_holders = _queries(admin_web, "/console/apps/wiki/perms/app_wiki_access/holders/")
    for n in range(15):
        create_app(actor=world["admin"], name=f"More {n}", uid=f"more{n}", protocols={"http_app": {}})
        add_member(world["east"], create_test_user(f"member{n}"))
    assert _queries(admin_web, "/console/apps/") == few_apps
    assert _queries(admin_web, "/console/apps/wiki/perms/app_wiki_access/holders/") == few_holders


def test_admin_input_is_escaped_and_unsafe_urls_are_not_linked(admin_web, world):
    create_app(
        actor=world["admin"],
        name="<script>alert(1)</script>",
        uid="evil",
        logo="javascript:alert(1)",
        index="javascript:alert(2)",
    )
    for url in ("/console/apps/", "/console/apps/evil/", "/console/apps/evil/edit/"):
        page = admin_web.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page, url
        assert 'src="javascript:' not in page and 'href="javascript:' not in page, url


def test_adding_ldap_later_shows_its_secret_once(admin_web, world):
    response = admin_web.post("/console/apps/wiki/edit/", {"name": "Wiki", "use_ldap": "on"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = response.context["one_time"]["ldap_app"]["secret"]
    assert secret in response.content.decode()
    # Saving again does not issue a new one, and nothing shows the old one.
    response = admin_web.post("/console/apps/wiki/edit/", {"name": "Wiki", "use_ldap": "on"})
    assert response.status_code == 302
    assert secret not in admin_web.get("/console/apps/wiki/").content.decode()
    response = admin_web.post("/console/apps/wiki/rotate/ldap_app/")
    assert response.context["one_time"]["ldap_app"]["secret"] != secret


def test_a_public_client_has_no_secret_to_show_or_rotate(admin_web, world):
    response = admin_web.post("/console/apps/_new/", {**OAUTH, "oauth_client_type": "public"})
    assert response.status_code == 302
    detail = admin_web.get("/console/apps/mail/").content.decode()
    assert Application.objects.get(app__uid="mail").client_id in detail
    assert "/console/apps/mail/rotate/oauth_app/" not in detail
    # Public clients cannot use client credentials: the handler's rule, shown on the field.
    data = {**OAUTH, "uid": "mail2", "oauth_client_type": "public", "oauth_grant_types": ["client_credentials"]}
    response = admin_web.post("/console/apps/_new/", data)
    assert response.status_code == 400 and "oauth_grant_types" in response.context["form"].errors
    assert admin_web.post("/console/apps/mail/rotate/oauth_app/").status_code == 404


def test_result_list_pages_without_a_total(admin_web, world):
    from apps.directory.tests.factories import add_member, create_test_user

    for n in range(25):
        add_member(world["east"], create_test_user(f"member{n:02d}"))
    url = "/console/apps/wiki/perms/app_wiki_access/"
    admin_web.post(url, {"status": "1", "groups": ["d_east"]})
    first = admin_web.get(url + "holders/").content.decode()
    assert first.count("data-holder=") == 20 and "page=2" in first and "Page 1" in first
    second = admin_web.get(url + "holders/?page=2").content.decode()
    # 25 members, carol and the administrator: 27 holders.
    assert second.count("data-holder=") == 7 and "page=1" in second and "page=3" not in second
    assert admin_web.get(url + "holders/?page=99").content.decode().count("data-holder=") == 20
    assert admin_web.get(url + "holders/?page=x&size=5").content.decode().count("data-holder=") == 5


def test_reloading_the_page_that_showed_a_new_app_creates_no_second_one(admin_web, world):
    # A reload re-sends the form's POST with the same one-time token.
    form = admin_web.get("/console/apps/_new/")
    sent = {**OAUTH, "submission": form.context["submission"]}
    assert admin_web.post("/console/apps/_new/", sent).status_code == 200
    again = admin_web.post("/console/apps/_new/", sent, follow=True)
    assert again.redirect_chain[0][0].endswith("/console/apps/")
    assert "no second app was created" in again.content.decode()
    assert App.objects.filter(name=OAUTH["name"]).count() == 1
    # A form with errors gets a new token, so its corrected POST goes through.
    bad = admin_web.post(
        "/console/apps/_new/",
        {**sent, "submission": admin_web.get("/console/apps/_new/").context["submission"], "name": ""},
    )
    assert bad.status_code == 400
    fixed = {**OAUTH, "uid": "mail2", "submission": bad.context["submission"]}
    assert admin_web.post("/console/apps/_new/", fixed).status_code == 200
    assert App.objects.filter(uid="mail2").exists()


def test_browser_app_origins_are_set_shown_and_checked_inline(admin_web, world):
    spa = {**OAUTH, "oauth_client_type": "public", "oauth_allowed_origins": "https://mail.example.com/\n"}
    assert admin_web.post("/console/apps/_new/", spa).status_code == 302
    assert Application.objects.get(app__uid="mail").allowed_origins == "https://mail.example.com"
    assert "<code>https://mail.example.com</code>" in admin_web.get("/console/apps/mail/").content.decode()
    assert admin_web.get("/console/apps/mail/edit/").context["form"].initial["oauth_allowed_origins"] == [
        "https://mail.example.com"
    ]
    bad = {**spa, "oauth_allowed_origins": "https://mail.example.com/app"}
    response = admin_web.post("/console/apps/mail/edit/", bad)
    assert response.status_code == 400
    assert "no path" in " ".join(response.context["form"].errors["oauth_allowed_origins"])
    assert Application.objects.get(app__uid="mail").allowed_origins == "https://mail.example.com"
