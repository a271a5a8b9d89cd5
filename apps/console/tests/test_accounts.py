"""The console's Accounts area: list, filters, one account's page and its writes, scope.

The world (conftest): hq > sales > east, hq > hr, eng; boss (in sales) is a sub-administrator
of sales and east with system_user_create; carol is in east, dave in eng, erin in hr.
"""

from __future__ import annotations

import pytest
from django.test import Client

from apps.audit.models import Action, Event
from apps.console.tests.conftest import PASSWORD
from apps.directory.models import Membership, User

pytestmark = pytest.mark.django_db

LIST = "/console/accounts/"


def usernames(response) -> list[str]:
    return [u.username for u in response.context["page"]]


def audited(action: Action, target: str = "") -> bool:
    events = Event.objects.filter(action=action.value)
    return (events.filter(target_name__icontains=target) if target else events).exists()


# --- the list --------------------------------------------------------------------------


def test_admin_lists_everyone_sorted_and_paged(admin_web):
    page = admin_web.get(LIST)
    assert page.status_code == 200
    assert usernames(page) == ["admin", "boss", "carol", "dave", "erin"]
    assert usernames(admin_web.get(LIST, {"sort": "-username"}))[0] == "erin"
    second = admin_web.get(LIST, {"size": "2", "page": "2"})
    assert usernames(second) == ["carol", "dave"]
    assert b"page=3" in second.content  # the pager keeps going


def test_sub_admin_lists_only_the_scope(boss_web):
    assert usernames(boss_web.get(LIST)) == ["boss", "carol"]
    assert usernames(boss_web.get(LIST, {"q": "dave"})) == []


def test_filters_use_the_directory_query(admin_web, world):
    assert usernames(admin_web.get(LIST, {"q": "car"})) == ["carol"]
    assert usernames(admin_web.get(LIST, {"role": "admin"})) == ["admin"]
    assert "admin" not in usernames(admin_web.get(LIST, {"role": "plain"}))
    # group picker values (node uids), with and without subgroups
    assert usernames(admin_web.get(LIST, {"group": "d_sales"})) == ["boss"]
    assert usernames(admin_web.get(LIST, {"group": "d_sales", "descendants": "on"})) == ["boss", "carol"]
    assert usernames(admin_web.get(LIST, {"group_uid": "d_eng"})) == ["dave"]
    User.objects.filter(username="erin").update(is_active=False)
    assert usernames(admin_web.get(LIST, {"status": "disabled"})) == ["erin"]
    assert "erin" not in usernames(admin_web.get(LIST, {"status": "active"}))
    assert usernames(admin_web.get(LIST, {"created_from": "2000-01-01", "created_to": "2999-12-31"}))
    assert usernames(admin_web.get(LIST, {"created_to": "2001-01-01"})) == []


def test_bad_filters_are_field_errors_not_500(admin_web):
    bad = admin_web.get(LIST, {"created_from": "yesterday", "status": "maybe"})
    assert bad.status_code == 400
    assert {"created_from", "status"} <= set(bad.context["form"].errors)
    unknown = admin_web.get(LIST, {"group_uid": "d_nope"})  # refused by the directory's query
    assert unknown.status_code == 400 and "group_uid" in unknown.context["form"].errors
    assert b'id="id_group_uid-errors"' in unknown.content


def test_picked_groups_outside_the_scope_are_not_shown(boss_web):
    page = boss_web.get(LIST, {"group": ["d_sales", "d_hr"]})
    assert [value for value, _label, _detail in page.context["selected_groups"]] == ["d_sales"]
    assert usernames(page) == ["boss"]  # hr's erin is outside the scope anyway


def test_export_follows_the_filter_and_the_scope(admin_web, boss_web):
    body = b"".join(admin_web.get("/console/accounts/export/", {"q": "car"}).streaming_content).decode()
    assert "carol" in body and "dave" not in body
    assert audited(Action.USERS_EXPORTED)
    body = b"".join(boss_web.get("/console/accounts/export/").streaming_content).decode()
    assert "carol" in body and "dave" not in body and "admin" not in body


# --- scope: out of reach is a 404 ----------------------------------------------------------


@pytest.mark.parametrize("username", ["dave", "admin", "erin"])
def test_sub_admin_never_sees_users_outside_the_scope(boss_web, username):
    for path in ("", "perms/"):
        assert boss_web.get(f"/console/accounts/u/{username}/{path}").status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("", {"name": "X"}),
        ("password/", {"new_password": "N3w-Passw0rd!", "confirm": "N3w-Passw0rd!"}),
        ("status/", {"active": "false"}),
        ("delete/", {}),
        ("perms/", {"status:app_wiki_access": "1"}),
    ],
)
def test_sub_admin_changes_no_admin_other_manager_or_outsider(boss_web, world, path, data):
    for username in ("admin", "dave", "boss"):  # boss is a sub-administrator: himself included
        assert boss_web.post(f"/console/accounts/u/{username}/{path}", data).status_code == 404
    assert User.objects.filter(username="dave", is_active=True).exists()
    assert User.objects.get(username="boss").name == "Boss"


def test_sub_admin_sees_a_fellow_manager_read_only(boss_web):
    page = boss_web.get("/console/accounts/u/boss/")
    assert page.status_code == 200 and page.context["can_change"] is False
    assert b"Delete account" not in page.content


def test_plain_user_and_anonymous_are_kept_out(plain_web):
    assert plain_web.get(LIST).status_code == 403
    assert Client().get(LIST).status_code == 302


def test_posts_need_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login/")
    token = browser.cookies["csrftoken"].value
    browser.post("/login/", {"identifier": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert browser.post("/console/accounts/u/carol/status/", {"active": "false"}).status_code == 403
    assert User.objects.get(username="carol").is_active
    token = browser.cookies["csrftoken"].value
    ok = browser.post("/console/accounts/u/carol/status/", {"active": "false", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302 and not User.objects.get(username="carol").is_active


# --- create and edit ----------------------------------------------------------------------


def test_admin_creates_a_user_in_groups(admin_web, world):
    response = admin_web.post(
        "/console/accounts/new/",
        {"username": "Frank", "name": "Frank", "email": "frank@example.com", "gender": "1", "groups": ["d_hr"]},
    )
    assert response.status_code == 302 and response["Location"] == "/console/accounts/u/frank/"
    frank = User.objects.get(username="frank")
    assert not frank.has_usable_password() and frank.gender == 1
    assert Membership.objects.filter(user=frank, group=world["hr"]).exists()
    assert audited(Action.USER_CREATED, "frank") and audited(Action.MEMBERS_ADDED)


def test_create_shows_inline_field_errors(admin_web):
    response = admin_web.post(
        "/console/accounts/new/",
        {"username": "bad name!", "email": "carol@", "gender": "1", "password": "123"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "username" in errors
    assert b'id="id_username-errors"' in response.content
    assert not User.objects.filter(name="bad name!").exists()


def test_create_reports_a_taken_email_on_its_field(admin_web):
    User.objects.filter(username="carol").update(email="carol@example.com")
    data = {"username": "carol2", "email": "Carol@example.com", "gender": "0"}
    response = admin_web.post("/console/accounts/new/", data)
    assert response.status_code == 400 and "email" in response.context["form"].errors


def test_initial_password_must_be_changed_at_first_login(admin_web):
    response = admin_web.post(
        "/console/accounts/new/", {"username": "gina", "gender": "0", "password": "Gina-Passw0rd-42"}
    )
    assert response.status_code == 302
    gina = User.objects.get(username="gina")
    assert gina.check_password("Gina-Passw0rd-42") and gina.must_reset_password


def test_sub_admin_creates_only_into_the_scope(boss_web):
    none = boss_web.post("/console/accounts/new/", {"username": "henry", "gender": "0"})
    assert none.status_code == 400 and none.context["form"].group_errors
    assert not none.context["form"].non_field_errors()  # shown once, under the picker
    outside = boss_web.post("/console/accounts/new/", {"username": "henry", "gender": "0", "groups": ["d_hr"]})
    assert outside.status_code == 400 and b"outside your scope" in outside.content
    assert not User.objects.filter(username="henry").exists()
    ok = boss_web.post("/console/accounts/new/", {"username": "henry", "gender": "0", "groups": ["d_east"]})
    assert ok.status_code == 302


def test_edit_changes_fields_and_groups_in_scope_only(admin_web, world):
    Membership.objects.create(user=world["carol"], group=world["eng"])
    response = admin_web.post(
        "/console/accounts/u/carol/", {"name": "Carol C", "gender": "2", "groups": ["d_hr", "d_eng"]}
    )
    assert response.status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.name == "Carol C"
    assert set(carol.memberships.values_list("group__uid", flat=True)) == {"hr", "eng"}
    assert audited(Action.USER_UPDATED, "carol") and audited(Action.MEMBERS_REMOVED)


def test_sub_admin_edit_keeps_memberships_outside_the_scope(boss_web, world):
    Membership.objects.create(user=world["carol"], group=world["eng"])
    page = boss_web.get("/console/accounts/u/carol/")
    assert page.context["other_groups"] == 1
    assert [v for v, _l, _d in page.context["selected_groups"]] == ["d_east"]
    response = boss_web.post("/console/accounts/u/carol/", {"name": "Carol", "gender": "0", "groups": ["d_sales"]})
    assert response.status_code == 302
    assert set(world["carol"].memberships.values_list("group__uid", flat=True)) == {"sales", "eng"}


def test_edit_shows_errors_inline(admin_web):
    response = admin_web.post("/console/accounts/u/carol/", {"name": "C", "gender": "1", "mobile": "not a phone"})
    assert response.status_code == 400 and "mobile" in response.context["form"].errors


# --- password, status, invitation, delete -----------------------------------------------


def test_admin_sets_a_password_the_user_must_change(admin_web):
    bad = admin_web.post("/console/accounts/u/carol/password/", {"new_password": "Abc-12345-x", "confirm": "nope"})
    assert bad.status_code == 400 and "confirm" in bad.context["password_form"].errors
    ok = admin_web.post(
        "/console/accounts/u/carol/password/", {"new_password": "Carol-N3w-Pass", "confirm": "Carol-N3w-Pass"}
    )
    assert ok.status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.check_password("Carol-N3w-Pass") and carol.must_reset_password
    assert audited(Action.USER_PASSWORD_SET, "carol")


def test_disable_enable_and_not_oneself(admin_web):
    admin_web.post("/console/accounts/u/carol/status/", {"active": "false"})
    assert not User.objects.get(username="carol").is_active
    admin_web.post("/console/accounts/u/carol/status/", {"active": "true"})
    assert User.objects.get(username="carol").is_active
    response = admin_web.post("/console/accounts/u/admin/status/", {"active": "false"}, follow=True)
    assert User.objects.get(username="admin").is_active
    assert b"cannot deactivate yourself" in response.content


def test_invitation_link_is_shown_once_to_admins_only(admin_web, boss_web):
    page = admin_web.post("/console/accounts/u/carol/invite/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "/activate/?key=" in page.context["url"] and b'data-copy="#invitation-url"' in page.content
    assert audited(Action.INVITATION_CREATED, "carol")
    assert boss_web.post("/console/accounts/u/carol/invite/").status_code == 403


def test_delete_one_user(admin_web):
    response = admin_web.post("/console/accounts/u/dave/delete/")
    assert response.status_code == 302 and not User.objects.filter(username="dave").exists()
    assert audited(Action.USER_DELETED, "dave")


def test_bulk_delete_is_all_or_nothing(admin_web, boss_web):
    refused = boss_web.post("/console/accounts/bulk-delete/", {"users": ["carol", "dave"], "back": "q=a"})
    assert refused.status_code == 400 and b"Nothing was deleted" in refused.content
    assert User.objects.filter(username__in=["carol", "dave"]).count() == 2
    refused = admin_web.post("/console/accounts/bulk-delete/", {"users": ["carol", "admin"]})
    assert refused.status_code == 400 and User.objects.filter(username="carol").exists()
    data = {"users": ["carol", "dave"], "back": "q=a&x=\r\nSet-Cookie"}
    done = admin_web.post("/console/accounts/bulk-delete/", data)
    assert done.status_code == 302 and done["Location"].startswith("/console/accounts/?")
    assert "\n" not in done["Location"]
    assert not User.objects.filter(username__in=["carol", "dave"]).exists()


def test_accounts_area_speaks_chinese(admin_web):
    page = admin_web.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "新建账号" in page and "删除勾选的账号" in page
    account = admin_web.get("/console/accounts/u/carol/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "设置密码" in account and "应用权限" in account
