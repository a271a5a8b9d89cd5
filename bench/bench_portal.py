"""The end-user portal at directory scale: 100k users, 10k groups (bench_user_list's data),
200 apps of which a user's group is granted 20.

Measures the server time of portal pages for a signed-in employee (session cookie, Django's
test client): the contacts first level, a tree expansion (htmx fragment), a colleague search,
a group's members, and My apps with a search. Baseline in the same run: a bare ORM
``SELECT ... LIMIT 20`` of users. Goal (issue 8): each page <= 150 ms.
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
from apps.permissions.models import App, Permission, PermissionStatus  # noqa: E402

GOAL_MS = 150.0
APPS, GRANTED = 200, 20


def build_apps(group: Group) -> None:
    apps = App.objects.bulk_create(
        [App(uid=f"app{n:03d}", name=f"App {n:03d}", index="https://example.com/") for n in range(APPS)]
    )
    perms = Permission.objects.bulk_create(
        [
            Permission(
                uid=app.access_perm_uid,
                name=f"Access {app.name}",
                app=app,
                action="access",
                kind=Permission.Kind.ACCESS,
            )
            for app in apps
        ]
    )
    PermissionStatus.objects.bulk_create(
        [PermissionStatus(perm=perm, group=group, status=PermissionStatus.GRANT) for perm in perms[:GRANTED]]
    )


def employee_client() -> tuple[Client, dict[str, str]]:
    """A plain employee of one leaf department; the URLs to measure, from the real tree."""
    leaf_membership = Membership.objects.filter(group__type__key=GroupType.DEPARTMENT).select_related("group").first()
    viewer = User.objects.create(username="benchviewer", name="Bench Viewer")
    Membership.objects.create(user=viewer, group=leaf_membership.group)
    build_apps(leaf_membership.group)
    level1 = Group.objects.filter(type__key=GroupType.DEPARTMENT, depth=1).order_by("order", "id").first()
    client = Client()
    client.force_login(viewer)
    urls = {
        "portal_contacts_first_level": "/contacts/",
        "portal_tree_expand": f"/contacts/node/{level1.node_uid}/children/",
        "portal_colleague_search": "/contacts/?q=user0123",
        "portal_group_members": f"/contacts/node/{leaf_membership.group.node_uid}/",
        "portal_my_apps": "/",
        "portal_my_apps_search": "/?q=App%2001",
    }
    return client, urls


def count_queries(fn) -> int:
    """Statements one call runs (execute_wrapper: each request resets Django's queries_log)."""
    seen = []
    with connection.execute_wrapper(lambda execute, sql, *args: seen.append(sql) or execute(sql, *args)):
        fn()
    return len(seen)


def main() -> int:
    met = True
    with common.throwaway_database():
        data.load()
        with transaction.atomic():
            client, urls = employee_client()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        baseline = common.measure(lambda: list(User.objects.order_by("id")[:20]), repeat=50)
        base_ms = common.ms(baseline.median)
        common.report("orm_select_limit_20", base_ms, "ms", note="baseline: bare ORM SELECT ... LIMIT 20")
        for name, url in urls.items():
            headers = {"HX-Request": "true"} if name == "portal_tree_expand" else {}

            def get(url=url, headers=headers):
                response = client.get(url, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                return response

            queries = count_queries(get)
            timing = common.measure(get, repeat=20)
            met &= common.report(
                name,
                common.ms(timing.median),
                "ms",
                baseline=("orm_select_limit_20", base_ms),
                goal=GOAL_MS,
                note=f"{queries} queries; worst {common.ms(timing.worst):.1f} ms",
            )
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
