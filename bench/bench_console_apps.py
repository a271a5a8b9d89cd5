"""The console's Apps area at directory scale: 100k users, 10k groups (bench_user_list's
loader), 500 apps, and one app's access permission granted to a top-level department
(~10k users), denied to one of its sub-departments and granted to 100 users by name.

Measures the server time of the Apps pages through Django's test client with a session (the
console is session-only), for the administrator and for a sub-administrator managing that
department and the app:

- the app list (first page, a search, a sort, a late page);
- the app's interface details and its permission list;
- the access permission's white/black list (first page) and its result list ("who holds
  it", first page, page 200 and a search), which runs the engine's one-SQL-condition
  ``holders`` (narrowed to the scope for the sub-administrator) plus ``sources_for`` for
  the page.

Baseline in the same run: a bare ORM ``SELECT ... LIMIT 20`` of users. Goal (issue 8's
budget for console pages): each page <= 150 ms. PostgreSQL when ARKID_DATABASE_URL is set,
otherwise SQLite.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_user_list as data  # noqa: E402 - also sets Django up (bench/common.py)
import common  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from apps.directory.models import Group, GroupType, Membership, User  # noqa: E402
from apps.permissions.actions.apps import create_app  # noqa: E402
from apps.permissions.actions.manager_groups import create_manager_group  # noqa: E402
from apps.permissions.actions.statuses import set_statuses  # noqa: E402
from apps.permissions.models import Permission  # noqa: E402

GOAL_MS = 150.0
APPS = 500


def session_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def setup() -> dict[str, tuple[Client, dict[str, str]]]:
    admin = User.objects.get(username="benchadmin")
    for n in range(APPS):
        create_app(actor=admin, name=f"App {n:03d}", uid=f"app{n:03d}", protocols={"http_app": {}})
    wiki, _ = create_app(
        actor=admin,
        name="Wiki",
        uid="wiki",
        protocols={"oauth_app": {"redirect_uris": ["https://wiki.example.com/cb"]}, "ldap_app": {}},
    )
    departments = Group.objects.filter(type__key=GroupType.DEPARTMENT)
    top = departments.filter(depth=1).order_by("order", "id").first()
    hole = departments.filter(depth=2, path__startswith=top.path).order_by("order", "id").first()
    named = list(User.objects.exclude(is_admin=True).order_by("-id")[:100])
    access = Permission.objects.get(uid=wiki.access_perm_uid)
    set_statuses(
        access,
        actor=admin,
        group_statuses=[(top, 1), (hole, -1)],
        user_statuses=[(user, 1) for user in named],
    )
    boss = User.objects.create(username="benchboss", name="Bench Boss")
    Membership.objects.create(user=boss, group=top)
    create_manager_group(actor=admin, name="Dept admins", uid="dept-admins", member_users=[boss], apps=[wiki])
    base = "/console/apps"
    perm = f"{base}/wiki/perms/{access.uid}"
    admin_urls = {
        "app_list": f"{base}/",
        "app_list_search": f"{base}/?q=App%2042",
        "app_list_sorted_late_page": f"{base}/?sort=-uid&page=20",
        "app_details": f"{base}/wiki/",
        "app_perms": f"{base}/wiki/perms/",
        "perm_owners": f"{perm}/",
        "perm_holders": f"{perm}/holders/",
        "perm_holders_page_200": f"{perm}/holders/?page=200",
        "perm_holders_search": f"{perm}/holders/?q=user0123",
    }
    boss_urls = {
        "app_list": f"{base}/",
        "app_details": f"{base}/wiki/",
        "perm_owners": f"{perm}/",
        "perm_holders": f"{perm}/holders/",
        "perm_holders_page_200": f"{perm}/holders/?page=200",
        "perm_holders_search": f"{perm}/holders/?q=user0123",
    }
    return {"admin": (session_client(admin), admin_urls), "subadmin": (session_client(boss), boss_urls)}


def main() -> int:
    met = True
    with common.throwaway_database():
        data.load()
        with common.stopwatch("apps"), transaction.atomic():
            actors = setup()
        baseline = common.measure(lambda: list(User.objects.order_by("id")[:20]), repeat=50)
        base_ms = common.ms(baseline.median)
        common.report("orm_select_limit_20", base_ms, "ms", note="baseline: bare ORM SELECT ... LIMIT 20")
        for actor, (client, urls) in actors.items():
            for name, url in urls.items():
                get = common.page_getter(client, url)
                baseline = ("orm_select_limit_20", base_ms)
                met &= common.report_page(f"console_apps_{actor}_{name}", get, baseline=baseline, goal=GOAL_MS)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
