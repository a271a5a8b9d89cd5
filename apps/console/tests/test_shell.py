"""The console shell: who may enter, the menu per powers, and the scoped pickers."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login():
    response = Client().get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/console/")


def test_plain_user_is_refused_and_sees_no_console_link(plain_web):
    assert plain_web.get("/console/").status_code == 403
    assert b"/console/" not in plain_web.get("/").content


def test_admin_sees_every_count_and_the_link_from_the_portal(admin_web, world):
    page = admin_web.get("/console/")
    assert page.status_code == 200
    assert page.context["counts"] == {"users": 5, "groups": 5, "apps": 2}
    assert b'href="/console/"' in admin_web.get("/").content


def test_sub_admin_counts_only_the_scope_and_sees_no_admin_areas(boss_web):
    page = boss_web.get("/console/")
    assert page.status_code == 200
    # boss and carol (sales and east); the groups sales and east; the app wiki.
    assert page.context["counts"] == {"users": 2, "groups": 2, "apps": 1}
    keys = {item["key"] for item in page.context["nav"]}
    assert "subadmins" not in keys and "config" not in keys and "sync" not in keys


def test_user_picker_offers_only_users_in_scope(boss_web, admin_web):
    found = boss_web.get("/console/pickers/users/", {"q": "", "field": "members"}).content.decode()
    assert 'value="carol"' in found and 'value="boss"' in found
    assert 'value="dave"' not in found and 'value="admin"' not in found
    assert 'name="members"' in found
    everyone = admin_web.get("/console/pickers/users/", {"q": "e"}).content.decode()
    assert 'value="dave"' in everyone and 'value="erin"' in everyone


def test_group_picker_searches_within_scope_and_by_type(boss_web, admin_web):
    found = boss_web.get("/console/pickers/groups/", {"q": "a"}).content.decode()
    assert 'value="d_sales"' in found and 'value="d_east"' in found and 'value="d_hq"' not in found
    assert "Nothing matches" in admin_web.get("/console/pickers/groups/", {"q": "zzz"}).content.decode()
    assert "Eng" in admin_web.get("/console/pickers/groups/", {"q": "eng", "type": "department"}).content.decode()
    assert "Eng" not in admin_web.get("/console/pickers/groups/", {"q": "eng", "type": "role"}).content.decode()


def test_picker_field_name_is_sanitised(admin_web):
    found = admin_web.get("/console/pickers/users/", {"field": 'x" onclick="alert(1)'}).content.decode()
    assert "onclick" not in found and 'name="selected"' in found


def test_sort_and_pagination_helpers_reject_unknown_input(admin_web, world):
    from django.http import QueryDict

    from apps.console.web import paginate, query_without, sort_queryset
    from apps.directory.models import User

    users, applied = sort_queryset(User.objects.all(), {"sort": "password"}, {"username": "username"}, "username")
    assert applied == "username" and list(users)[0].username == "admin"
    users, applied = sort_queryset(User.objects.all(), {"sort": "-username"}, {"username": "username"}, "username")
    assert applied == "-username" and list(users)[0].username == "erin"
    assert paginate(User.objects.order_by("id"), {"size": "2", "page": "99"}).number == 3
    assert paginate(User.objects.order_by("id"), {"size": "oops"}).paginator.per_page == 20
    assert query_without(QueryDict("a=1&a=2&page=3&b="), "page") == "a=1&a=2"


def test_console_speaks_chinese_to_a_chinese_browser(admin_web):
    page = admin_web.get("/console/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "管理后台" in page.content.decode() and "概览" in page.content.decode()


def test_an_error_message_is_shown_as_an_alert(admin_web, world):
    """Errors and warnings are announced (role=alert) and coloured apart from successes."""
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.ERROR, "Broken")
    storage.add(messages.SUCCESS, "Saved")
    response = HttpResponse()
    storage.update(response)
    admin_web.cookies["messages"] = response.cookies["messages"].value
    html = admin_web.get("/console/").content.decode()
    assert 'class="flash flash-error" role="alert"><p>Broken' in html
    assert 'class="flash" role="status"><p>Saved' in html
