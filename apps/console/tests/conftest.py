"""Console fixtures: a small directory with an administrator and a sub-administrator, each
signed in through the real /login/ page (the console is session-only, like the portal).

The tree: hq > sales > east, hq > hr, and eng beside hq. ``boss`` (in sales) manages "own
groups" (sales and east) with system_user_create and system_log_read and the app wiki.
"""

from __future__ import annotations

import pytest
from django.test import Client

from apps.directory.tests.factories import add_member, create_test_group, create_test_user
from apps.permissions.actions.apps import create_app
from apps.permissions.actions.manager_groups import create_manager_group
from apps.permissions.models import Permission
from apps.portal.tests.conftest import PASSWORD, sign_in

__all__ = ["PASSWORD", "sign_in"]


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(admin_user):
    hq = create_test_group("HQ", uid="hq")
    sales = create_test_group("Sales", uid="sales", parent=hq)
    east = create_test_group("East", uid="east", parent=sales)
    hr = create_test_group("HR", uid="hr", parent=hq)
    eng = create_test_group("Eng", uid="eng")
    users = {name: create_test_user(name, name=name.title()) for name in ("boss", "carol", "dave", "erin")}
    add_member(sales, users["boss"])
    add_member(east, users["carol"])
    add_member(eng, users["dave"])
    add_member(hr, users["erin"])
    wiki, _ = create_app(actor=admin_user, name="Wiki", uid="wiki")
    secret, _ = create_app(actor=admin_user, name="Secret", uid="secret")
    create_manager_group(
        actor=admin_user,
        name="Sales admins",
        uid="sales-admins",
        member_users=[users["boss"]],
        perms=list(Permission.objects.filter(uid__in=("system_user_create", "system_log_read"))),
        apps=[wiki],
    )
    groups = {"hq": hq, "sales": sales, "east": east, "hr": hr, "eng": eng}
    return {**users, **groups, "wiki": wiki, "secret": secret, "admin": admin_user}


@pytest.fixture
def admin_web(world) -> Client:
    return sign_in("admin")


@pytest.fixture
def boss_web(world) -> Client:
    return sign_in("boss")


@pytest.fixture
def plain_web(world) -> Client:
    return sign_in("dave")
