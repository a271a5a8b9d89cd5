"""A user's app permissions in the console: result and sources, own status set through the
permissions actions, within the sub-administrator's apps and users."""

from __future__ import annotations

import pytest

from apps.audit.models import Action, Event
from apps.permissions import engine
from apps.permissions.models import Permission, PermissionStatus
from apps.permissions.tests.perm_factories import set_status

pytestmark = pytest.mark.django_db


def rows(response) -> dict[str, dict]:
    return {row["perm"].uid: row for row in response.context["rows"]}


def test_sources_name_the_granting_group(admin_web, world):
    wiki_access = Permission.objects.get(uid="app_wiki_access")
    set_status(wiki_access, world["sales"], PermissionStatus.GRANT)
    page = admin_web.get("/console/accounts/u/carol/perms/")
    row = rows(page)["app_wiki_access"]
    assert row["result"] and row["decided_by"] == "groups"
    assert row["sources"][0]["node_uid"] == "d_sales" and row["sources"][0]["via"] == "d_east"
    assert b"granted by" in page.content


def test_admin_sets_own_status_through_the_action(admin_web, world):
    response = admin_web.post("/console/accounts/u/dave/perms/", {"status:app_secret_access": "1"})
    assert response.status_code == 302
    assert engine.has_perm(world["dave"], Permission.objects.get(uid="app_secret_access"))
    assert Event.objects.filter(action=Action.PERMISSION_STATUSES_CHANGED.value).exists()
    page = admin_web.get("/console/accounts/u/dave/perms/", {"q": "secret"})
    assert rows(page)["app_secret_access"]["decided_by"] == "user"
    admin_web.post("/console/accounts/u/dave/perms/", {"status:app_secret_access": "0"})
    assert not PermissionStatus.objects.filter(user=world["dave"]).exists()


def test_bad_status_is_a_400(admin_web, world):
    response = admin_web.post("/console/accounts/u/dave/perms/", {"status:app_secret_access": "7"})
    assert response.status_code == 400 and b"Status must be" in response.content


def test_sub_admin_sees_and_sets_only_the_apps_they_manage(boss_web, world):
    page = boss_web.get("/console/accounts/u/carol/perms/")
    assert set(rows(page)) == {"app_wiki_access"}
    refused = boss_web.post("/console/accounts/u/carol/perms/", {"status:app_secret_access": "1"})
    assert refused.status_code == 400 and not PermissionStatus.objects.filter(user=world["carol"]).exists()
    ok = boss_web.post("/console/accounts/u/carol/perms/", {"status:app_wiki_access": "-1"})
    assert ok.status_code == 302
    assert PermissionStatus.objects.get(user=world["carol"]).status == PermissionStatus.DENY
