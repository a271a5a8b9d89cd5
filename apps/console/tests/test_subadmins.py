"""Console "Sub-admins": administrators only; create, edit and delete manager groups through
the actions (audited), pickers for members, scope and apps, inline errors."""

from __future__ import annotations

import pytest

from apps.audit.models import Event
from apps.directory.scope import resolve_scope
from apps.permissions.models import ManagerGroup

pytestmark = pytest.mark.django_db


def test_only_administrators(admin_web, boss_web, plain_web, world):
    assert admin_web.get("/console/subadmins/").status_code == 200
    for client, expected in ((boss_web, 403), (plain_web, 403)):
        assert client.get("/console/subadmins/").status_code == expected
        assert client.get("/console/subadmins/new/").status_code == expected
        assert client.post("/console/subadmins/new/", {"name": "Mine", "scope_subject": 1}).status_code == expected
        assert client.get("/console/subadmins/groups/sales-admins/").status_code == expected
        assert client.post("/console/subadmins/groups/sales-admins/delete/").status_code == expected
        assert client.get("/console/subadmins/pickers/apps/").status_code == expected
    assert ManagerGroup.objects.filter(uid="sales-admins").exists()
    assert ManagerGroup.objects.count() == 1


def test_list_searches_sorts_and_counts_members(admin_web, world):
    page = admin_web.get("/console/subadmins/").content.decode()
    assert 'data-group="sales-admins"' in page and "system_log_read" in page
    assert list(admin_web.get("/console/subadmins/", {"q": "zzz"}).context["page"].object_list) == []
    rows = admin_web.get("/console/subadmins/", {"sort": "-members"}).context["page"].object_list
    assert rows[0].member_count == 1
    assert admin_web.get("/console/subadmins/", {"sort": "password"}).context["sort"] == "name"


def test_create_over_a_department_gives_the_member_that_scope(admin_web, world):
    response = admin_web.post(
        "/console/subadmins/new/",
        {
            "name": "HR admins",
            "uid": "hr-admins",
            "remark": "People team",
            "scope_subject": "2",
            "perms": ["system_user_create", "system_account_sync"],
            "members": ["erin"],
            "nodes": ["d_hr"],
            "users": ["dave"],
            "apps": ["wiki"],
        },
    )
    assert response.status_code == 302 and response["Location"] == "/console/subadmins/groups/hr-admins/"
    group = ManagerGroup.objects.get(uid="hr-admins")
    assert [u.username for u in group.member_users.all()] == ["erin"]
    assert {p.uid for p in group.perms.all()} == {"system_user_create", "system_account_sync"}
    assert [a.uid for a in group.apps.all()] == ["wiki"]
    scope = resolve_scope(world["erin"])
    assert scope.is_manager and scope.holds("system_account_sync") and not scope.holds("system_log_read")
    event = Event.objects.get(action="manager_group.created", target_id=str(group.pk))
    assert event.actor_name == "admin" and event.changes["scope_groups"][1] == ["hr"]
    # The edit page shows the chosen members, groups and apps in the pickers.
    page = admin_web.get("/console/subadmins/groups/hr-admins/").content.decode()
    for value in ('name="members" value="erin" checked', 'name="nodes" value="d_hr" checked'):
        assert value in page
    assert 'name="apps" value="wiki" checked' in page and 'name="users" value="dave" checked' in page


def test_edit_replaces_lists_and_audits_the_change(admin_web, world):
    response = admin_web.post(
        "/console/subadmins/groups/sales-admins/",
        {"name": "Sales admins", "scope_subject": "1", "perms": ["system_log_read"], "members": ["boss", "carol"]},
    )
    assert response.status_code == 302
    group = ManagerGroup.objects.get(uid="sales-admins")
    assert sorted(u.username for u in group.member_users.all()) == ["boss", "carol"]
    assert list(group.apps.all()) == []  # the apps picker sent nothing: the list is replaced
    event = Event.objects.get(action="manager_group.updated")
    assert event.changes["member_users"] == [["boss"], ["boss", "carol"]]
    assert resolve_scope(world["carol"]).is_manager


def test_bad_input_is_shown_inline(admin_web, world):
    response = admin_web.post(
        "/console/subadmins/new/",
        {"name": "", "scope_subject": "7", "perms": ["system_oneid_all"], "members": ["ghost", "carol"]},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert {"name", "scope_subject", "perms"} <= set(form.errors)
    response = admin_web.post(
        "/console/subadmins/new/",
        {"name": "X", "scope_subject": "1", "members": ["ghost", "carol"], "nodes": ["d_nope"]},
    )
    assert response.status_code == 400
    assert "ghost" in " ".join(response.context["picker_errors"]["members"])
    assert "nodes" in response.context["picker_errors"]
    page = response.content.decode()
    assert 'name="members" value="carol" checked' in page  # the valid choice is kept
    duplicate = admin_web.post("/console/subadmins/new/", {"name": "Dup", "uid": "sales-admins", "scope_subject": "1"})
    assert duplicate.status_code == 400 and "uid" in duplicate.context["form"].errors
    assert (
        ManagerGroup.objects.count() == 1
        and not Event.objects.filter(action="manager_group.created")
        .exclude(target_id=str(ManagerGroup.objects.get().pk))
        .exists()
    )


def test_delete_needs_post_and_confirmation_markup(admin_web, world):
    page = admin_web.get("/console/subadmins/groups/sales-admins/").content.decode()
    assert "data-confirm=" in page
    assert admin_web.get("/console/subadmins/groups/sales-admins/delete/").status_code == 405
    response = admin_web.post("/console/subadmins/groups/sales-admins/delete/")
    assert response.status_code == 302
    assert not ManagerGroup.objects.exists()
    assert Event.objects.filter(action="manager_group.deleted").exists()
    assert not resolve_scope(world["boss"]).is_manager
    assert admin_web.post("/console/subadmins/groups/sales-admins/delete/").status_code == 404
    assert admin_web.get("/console/subadmins/groups/nope/").status_code == 404


def test_apps_picker_searches_by_name(admin_web, world):
    found = admin_web.get("/console/subadmins/pickers/apps/", {"q": "wik"}).content.decode()
    assert 'name="apps" value="wiki"' in found and "secret" not in found
    assert "Nothing matches" in admin_web.get("/console/subadmins/pickers/apps/", {"q": "zzz"}).content.decode()


def test_names_are_escaped(admin_web, world):
    admin_web.post("/console/subadmins/new/", {"name": "<script>x</script>", "uid": "xss", "scope_subject": "1"})
    page = admin_web.get("/console/subadmins/").content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_speaks_chinese(admin_web, world):
    page = admin_web.get("/console/subadmins/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "子管理员组" in page and "所在分组及其下级" in page
    form = admin_web.get("/console/subadmins/new/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "查看审计日志" in form and "可管理的应用" in form


def test_a_new_sub_admin_sees_only_the_scope_given_here(admin_web, world):
    from apps.console.tests.conftest import sign_in

    admin_web.post(
        "/console/subadmins/new/",
        {"name": "East admins", "uid": "east-admins", "scope_subject": "2", "members": ["erin"], "nodes": ["d_east"]},
    )
    erin = sign_in("erin")
    assert erin.get("/console/").context["counts"] == {"users": 1, "groups": 1, "apps": 0}  # carol; East
    found = erin.get("/console/pickers/users/", {"q": "", "field": "members"}).content.decode()
    assert 'value="carol"' in found and 'value="dave"' not in found and 'value="boss"' not in found
    assert erin.get("/console/subadmins/").status_code == 403
    assert erin.get("/console/audit/").status_code == 403  # no system_log_read given
    # Widening the scope here shows at once (the action bumps the scope version).
    admin_web.post(
        "/console/subadmins/groups/east-admins/",
        {"name": "East admins", "scope_subject": "2", "members": ["erin"], "nodes": ["d_east", "d_eng"]},
    )
    assert erin.get("/console/").context["counts"]["users"] == 2  # carol and dave
