"""The admin user list at directory scale: 100k users, 10k groups, ~2 memberships per user.

Measures the server time of ``GET /siteapi/oneid/user/?page=1`` (first page, default page
size) through Django's test client with an admin token, against a baseline measured in the
same run: a bare ORM ``SELECT ... LIMIT 20`` of the same rows. Goal: first page <= 50 ms.

Runs on PostgreSQL when ARKID_DATABASE_URL is set, otherwise SQLite, always in a throwaway
database. ARKID_BENCH_USERS changes the user count (default 100000).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is not a package; common sets up the import path

common.setup_django()

from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import ApiToken, digest, new_key  # noqa: E402
from apps.directory.models import Group, GroupType, Membership, User  # noqa: E402

USERS = int(os.environ.get("ARKID_BENCH_USERS", "100000"))
# Children per node, level by level: 10+100+1000+7000 departments, 50+900 roles, 940 labels.
TREE_SHAPES = {GroupType.DEPARTMENT: [10, 10, 10, 7], GroupType.ROLE: [50, 18], GroupType.LABEL: [940]}
BATCH = 5000
GOAL_MS = 50.0
URL = "/siteapi/oneid/user/?page=1"
UNUSABLE_PASSWORD = "!bench-user-without-password"  # noqa: S105 - Django's "no password" marker


def _next_id(model) -> int:
    last = model.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1


def build_groups() -> dict[str, list[Group]]:
    """Whole trees in memory with primary keys chosen here, so each path is computed
    directly instead of saved twice; returns the leaves of each type."""
    next_id = _next_id(Group)
    to_create, leaves = [], {}
    for group_type in GroupType.objects.select_related("root").filter(key__in=TREE_SHAPES):
        level = [group_type.root]
        for branching in TREE_SHAPES[group_type.key]:
            children = []
            for parent in level:
                for order in range(branching):
                    group = Group(
                        id=next_id,
                        uid=f"{group_type.key[0]}{next_id}",
                        name=f"{group_type.name} {next_id}",
                        type_id=group_type.id,
                        parent_id=parent.id,
                        path=f"{parent.path}{next_id}/",
                        depth=parent.depth + 1,
                        order=order,
                    )
                    next_id += 1
                    children.append(group)
            to_create += children
            level = children
        leaves[group_type.key] = level
    Group.objects.bulk_create(to_create, batch_size=BATCH)
    print(f"  {len(to_create)} groups", flush=True)
    return leaves


def build_users() -> list[int]:
    first_id = _next_id(User)
    now = timezone.now()
    users = [
        User(
            id=first_id + n,
            username=f"user{n:06d}",
            name=f"User {n}",
            email=f"user{n:06d}@example.com",
            mobile=f"+86138{n:08d}",
            employee_number=f"E{n:06d}",
            password=UNUSABLE_PASSWORD,
            hire_date=(now - dt.timedelta(days=n % 3650)).date(),
        )
        for n in range(USERS)
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    print(f"  {len(users)} users", flush=True)
    return [u.id for u in users]


def build_memberships(user_ids: list[int], leaves: dict[str, list[Group]]) -> None:
    """Every user in one leaf department plus one role or one label (~2 per user)."""
    rng = random.Random(42)  # the same directory every run
    departments, others = leaves[GroupType.DEPARTMENT], leaves[GroupType.ROLE] + leaves[GroupType.LABEL]
    memberships = []
    for user_id in user_ids:
        memberships.append(Membership(user_id=user_id, group_id=rng.choice(departments).id))
        memberships.append(Membership(user_id=user_id, group_id=rng.choice(others).id))
    Membership.objects.bulk_create(memberships, batch_size=BATCH)
    print(f"  {len(memberships)} memberships", flush=True)


def reset_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind; later inserts must not collide."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Group, User, Membership]):
            cursor.execute(sql)


def admin_client() -> Client:
    admin = User.objects.create(username="benchadmin", name="Bench Admin", is_admin=True)
    raw = new_key()
    ApiToken.objects.create(
        user=admin, key_digest=digest(raw), prefix=raw[:8], expires=timezone.now() + dt.timedelta(hours=1)
    )
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def load() -> Client:
    print(f"loading ({connection.vendor})", flush=True)
    with common.stopwatch("load"), transaction.atomic():
        leaves = build_groups()
        user_ids = build_users()
        build_memberships(user_ids, leaves)
        reset_sequences()
    with common.stopwatch("analyze"), connection.cursor() as cursor:
        # Planner statistics and (PostgreSQL) the visibility map, as autovacuum keeps them on
        # a live database; without it every COUNT(*) would visit the heap.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return admin_client()


def main() -> int:
    with common.throwaway_database():
        client = load()

        def first_page():
            response = client.get(URL)
            if response.status_code != 200:
                raise SystemExit(f"{URL} answered {response.status_code}: {response.content[:500]!r}")
            return response

        body = first_page().json()
        assert body["count"] == USERS + 1, body["count"]  # + the admin
        assert len(body["results"]) == 20
        queries = []  # execute_wrapper, not CaptureQueriesContext: each request resets queries_log
        with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
            first_page()

        def orm_first_20():
            return list(User.objects.order_by("id")[:20])

        baseline = common.measure(orm_first_20, repeat=50)
        endpoint = common.measure(first_page, repeat=30)
        count = common.measure(lambda: User.objects.count(), repeat=20)

        base_ms = common.ms(baseline.median)
        common.report("orm_select_limit_20", base_ms, "ms", note="baseline: bare ORM SELECT ... LIMIT 20")
        common.report("orm_count_users", common.ms(count.median), "ms", note="COUNT(*) that pagination adds")
        met = common.report(
            "user_list_first_page",
            common.ms(endpoint.median),
            "ms",
            baseline=("orm_select_limit_20", base_ms),
            goal=GOAL_MS,
            note=f"{len(queries)} queries; best {common.ms(endpoint.best):.1f} ms, worst "
            f"{common.ms(endpoint.worst):.1f} ms over {len(endpoint.samples)} runs",
        )
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
