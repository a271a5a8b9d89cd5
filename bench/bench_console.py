"""The console's Accounts area at directory scale: 100k users, 10k groups (bench_user_list's
directory), for an administrator and for a sub-administrator of one top-level department
(~10k users in scope, "own groups" scope).

Measures the server time (median and p95, Django's test client with a session) of: the
accounts list's first page, a filtered and searched page (keyword + status, and a group
with its subgroups), a page sorted by last activity, and a user-picker search. Baseline in
the same run: a bare ORM ``SELECT ... LIMIT 20`` of users. Goal (issue 8): each <= 150 ms.

Runs on PostgreSQL when ARKID_DATABASE_URL is set, otherwise SQLite, always in a throwaway
database.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_user_list as data  # noqa: E402 - also sets Django up (bench/common.py)
import common  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from apps.directory.models import Group, GroupType, Membership, User  # noqa: E402
from apps.directory.scope import manageable_users  # noqa: E402
from apps.permissions.actions.manager_groups import create_manager_group  # noqa: E402
from apps.permissions.models import Permission  # noqa: E402

GOAL_MS = 150.0
REPEAT = 30


def actors() -> tuple[User, User, Group]:
    """The bench's administrator and a sub-administrator of the first top-level department."""
    admin = User.objects.get(username="benchadmin")
    root = GroupType.objects.select_related("root").get(key=GroupType.DEPARTMENT).root
    top = Group.objects.filter(parent=root).order_by("id").first()
    boss = User.objects.create(username="benchboss", name="Bench Boss")
    Membership.objects.create(user=boss, group=top)
    create_manager_group(
        actor=admin,
        name="Dept admins",
        uid="dept-admins",
        member_users=[boss],
        perms=list(Permission.objects.filter(uid="system_user_create")),
    )
    return admin, boss, top


def urls_for(top: Group) -> dict[str, str]:
    """Searches that hit: user012345 is in the first top-level department for the seeded
    random directory only by chance, so each keyword is a prefix shared by ~100 users."""
    level2 = Group.objects.filter(parent=top).order_by("id").first()
    return {
        "list_first_page": "/console/accounts/",
        "list_search_active": "/console/accounts/?q=user0123&status=active",
        "list_group_subtree": f"/console/accounts/?group={level2.node_uid}&descendants=on&sort=-created",
        "list_sorted_last_active": "/console/accounts/?sort=-last_active",
        "picker_user_search": "/console/pickers/users/?q=user0123&field=members",
    }


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main() -> int:
    met = True
    with common.throwaway_database():
        data.load()
        with transaction.atomic():
            admin, boss, top = actors()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        in_scope = manageable_users(boss).count()
        print(f"  {connection.vendor}; sub-administrator scope: {in_scope} users", flush=True)
        baseline = common.measure(lambda: list(User.objects.order_by("id")[:20]), repeat=50)
        base_ms = common.ms(baseline.median)
        common.report("orm_select_limit_20", base_ms, "ms", note="baseline: bare ORM SELECT ... LIMIT 20")
        urls = urls_for(top)
        for who, user in (("admin", admin), ("subadmin", boss)):
            client = client_for(user)
            for name, url in urls.items():
                get = common.page_getter(
                    client, url, headers={"HX-Request": "true"} if name.startswith("picker") else {}
                )
                baseline = ("orm_select_limit_20", base_ms)
                met &= common.report_page(f"console_{who}_{name}", get, baseline=baseline, goal=GOAL_MS, repeat=REPEAT)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
