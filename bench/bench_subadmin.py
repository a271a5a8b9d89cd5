"""Sub-administrators at directory scale: 100k users, 10k groups (bench_user_list's loader).

A sub-administrator manages one top-level department ("own groups" scope: ~1/10 of the
users, through ~1,000 descendant departments). Measured through Django's test client, each
against the administrator doing the same in the same run:

- ``GET user/?page=1``: the sub-administrator's first page (the scope is one ``IN``
  subquery over a path-prefix scan) vs the administrator's unscoped first page.
  Goal: <= 100 ms.
- ``PATCH perm/user/<username>/``: granting a permission of a managed app to a user in scope
  (scope checks on the user and the permission, then the write) vs the administrator's grant.
  Goal: <= 150 ms.

ARKID_BENCH_USERS changes the user count (default 100000).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_user_list as loader  # noqa: E402 - sets Django up through common
import common  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import ApiToken, digest, new_key  # noqa: E402
from apps.directory.models import Group, GroupType, Membership, User  # noqa: E402
from apps.permissions.actions.apps import create_app  # noqa: E402
from apps.permissions.actions.manager_groups import create_manager_group  # noqa: E402

LIST_URL = "/siteapi/oneid/user/?page=1"
LIST_GOAL_MS = 100.0
GRANT_GOAL_MS = 150.0


def client_for(user: User) -> Client:
    raw = new_key()
    ApiToken.objects.create(
        user=user, key_digest=digest(raw), prefix=raw[:8], expires=timezone.now() + dt.timedelta(hours=1)
    )
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def setup_sub_admin(admin: User) -> tuple[User, User, Group]:
    """A sub-administrator of the first top-level department, and a user inside it."""
    root = GroupType.objects.select_related("root").get(key=GroupType.DEPARTMENT).root
    top = Group.objects.filter(parent=root).order_by("id").first()
    boss = User.objects.create(username="benchboss", name="Bench Boss")
    Membership.objects.create(user=boss, group=top)
    wiki, _ = create_app(actor=admin, name="Wiki", uid="wiki")
    create_manager_group(actor=admin, name="Dept admins", uid="dept-admins", member_users=[boss], apps=[wiki])
    member = User.objects.filter(memberships__group__path__startswith=top.path).exclude(pk=boss.pk).first()
    return boss, member, top


def getter(client: Client, url: str):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:500]!r}")
        return response

    return get


def granter(client: Client, username: str):
    state = {"status": 1}
    url = f"/siteapi/oneid/perm/user/{username}/"

    def grant():
        state["status"] = -state["status"]  # alternate grant and deny: every call writes
        body = json.dumps({"perm_statuses": [{"uid": "app_wiki_access", "status": state["status"]}]})
        response = client.patch(url, body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:500]!r}")

    return grant


def main() -> int:
    with common.throwaway_database():
        admin_client = loader.load()
        admin = User.objects.get(username="benchadmin")
        boss, member, top = setup_sub_admin(admin)
        boss_client = client_for(boss)
        in_scope = User.objects.filter(memberships__group__path__startswith=top.path).distinct().count()
        body = getter(boss_client, LIST_URL)().json()
        assert body["count"] == in_scope, (body["count"], in_scope)
        print(f"  sub-administrator scope: {in_scope} users", flush=True)

        admin_list = common.measure(getter(admin_client, LIST_URL), repeat=30)
        boss_list = common.measure(getter(boss_client, LIST_URL), repeat=30)
        admin_grant = common.measure(granter(admin_client, member.username), repeat=20)
        boss_grant = common.measure(granter(boss_client, member.username), repeat=20)

        queries = []
        with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
            getter(boss_client, LIST_URL)()

        base = common.ms(admin_list.median)
        common.report("admin_user_list_first_page", base, "ms", note="baseline: unscoped list")
        met = common.report(
            "subadmin_user_list_first_page",
            common.ms(boss_list.median),
            "ms",
            baseline=("admin_user_list_first_page", base),
            goal=LIST_GOAL_MS,
            note=f"{len(queries)} queries; worst {common.ms(boss_list.worst):.1f} ms",
        )
        grant_base = common.ms(admin_grant.median)
        common.report("admin_perm_grant", grant_base, "ms", note="baseline: the administrator's grant")
        met &= common.report(
            "subadmin_scoped_perm_grant",
            common.ms(boss_grant.median),
            "ms",
            baseline=("admin_perm_grant", grant_base),
            goal=GRANT_GOAL_MS,
            note=f"worst {common.ms(boss_grant.worst):.1f} ms",
        )
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
