"""Token check API throughput (``GET auth/token/?app_uid=&perm_uid=``) versus ``GET /ping/``.

    python bench/bench_check_api.py [--seconds 20] [--users 2000] [--groups 200]

Apps call the check on every request they serve, so it must cost little more than a request
that does nothing. Both go through Django's test client (URL routing, middleware) in one
process on one thread, alternating call by call so machine noise hits both alike. The
directory is a tree of departments with members, an app with an access and a few custom
permissions granted to a top-level department and denied to one user. The check is made
by a user in a leaf department, with a warm engine cache (as in production after the first
call). ``check_api.ratio_vs_ping`` is check throughput / ping throughput (goal >= 0.75;
exit code 3 when missed, as bench/run.py expects).

SQLite in a temporary directory (ARKID_VAR_DIR and ARKID_DATABASE_URL are overridden before
Django starts) and the in-process cache, so nothing of the developer's is touched.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402 - bench/ is not a package

RATIO_GOAL = 0.75
GOAL_MISSED = 3  # bench/run.py's exit code for "ran fine, goal not met"


def _setup_django(var_dir: str) -> None:
    # One process: the in-process cache is shared by all it runs, as Redis is in production.
    common.setup_sqlite_django(var_dir, ARKID_SHARED_CACHE="true")


def _directory(users: int, groups: int):
    """A department tree (each group under a random earlier one) with every user in one group."""
    import random

    from apps.directory.models import Group, GroupType, Membership, User

    rng = random.Random(7)  # noqa: S311 - test data, not security
    root = GroupType.objects.select_related("root").get(key=GroupType.DEPARTMENT).root
    made = [root]
    for n in range(groups):
        parent = rng.choice(made)
        group = Group.objects.create(
            uid=f"b{n}", name=f"Dept {n}", type_id=root.type_id, parent=parent, path="", depth=parent.depth + 1
        )
        group.path = f"{parent.path}{group.pk}/"
        group.save(update_fields=["path"])
        made.append(group)
    people = User.objects.bulk_create([User(username=f"u{n}", name=f"User {n}") for n in range(users)])
    Membership.objects.bulk_create([Membership(user=u, group=rng.choice(made[1:])) for u in people])
    deepest = max(made[1:], key=lambda g: g.depth)
    top = Group.objects.get(pk=int(deepest.path.strip("/").split("/")[1]))
    return top, deepest


def _token(user) -> str:
    import datetime as dt

    from django.utils import timezone

    from apps.accounts.models import ApiToken, digest, new_key

    raw = new_key()
    ApiToken.objects.create(
        user=user, key_digest=digest(raw), prefix=raw[:8], expires=timezone.now() + dt.timedelta(hours=1)
    )
    return raw


def _bench(total_seconds: float, users: int, groups: int) -> int:
    from django.test import Client

    from apps.directory.models import Membership, User
    from apps.permissions import cache as perm_cache
    from apps.permissions.actions.apps import create_app
    from apps.permissions.actions.perms import create_permission
    from apps.permissions.actions.statuses import set_group_perm_statuses, set_user_perm_statuses
    from apps.permissions.models import Permission

    admin = User.objects.create(username="admin", name="Admin", is_admin=True)
    top, leaf = _directory(users, groups)
    app, _ = create_app(actor=admin, name="Bench app", uid="bench", protocols={"http_app": {}})
    for action in ("manage", "read", "write"):
        create_permission(actor=admin, app=app, name=action, action=action)
    access = Permission.objects.get(uid="app_bench_access")
    set_group_perm_statuses(top, [(access, 1)], actor=admin)
    denied = User.objects.get(username="u0")
    set_user_perm_statuses(denied, [(access, -1)], actor=admin)
    checker = User.objects.create(username="checker", name="Checker")
    Membership.objects.create(user=checker, group=leaf)

    client = Client(HTTP_AUTHORIZATION=f"Token {_token(checker)}")
    url = "/siteapi/v1/auth/token/?app_uid=bench&perm_uid=access"

    def ping() -> None:
        if client.get("/ping/").status_code != 200:
            raise SystemExit("ping failed")

    def check() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"check failed: {response.status_code} {response.content[:200]!r}")

    # Writes mark the token check's cached entries stale for a few seconds (apps.permissions.cache):
    # let the app's settle, as it has in production long before apps check its permissions.
    time.sleep(perm_cache.STALE_TTL + 0.5)
    for _ in range(20):  # warm up: imports, URL resolver, first connection, the engine's cache
        ping()
        check()
    spent = {"ping": 0.0, "check": 0.0}
    samples: dict[str, list[float]] = {"ping": [], "check": []}
    pairs, deadline = 0, time.perf_counter() + total_seconds
    while time.perf_counter() < deadline:
        for name, operation in (("ping", ping), ("check", check)):
            start = time.perf_counter()
            operation()
            took = time.perf_counter() - start
            spent[name] += took
            samples[name].append(took)
        pairs += 1

    ping_rate, check_rate = pairs / spent["ping"], pairs / spent["check"]
    ratio = check_rate / ping_rate
    met = ratio >= RATIO_GOAL
    print(f"check_api.directory  users={users} groups={groups} leaf_depth={leaf.depth}")
    print(f"check_api.ping_per_s  {ping_rate:.1f}")
    print(f"check_api.check_per_s  {check_rate:.1f}")
    print(f"check_api.check_ms  {1000 / check_rate:.3f}")
    print(f"check_api.ratio_vs_ping  {ratio:.2f}")
    for name, taken in samples.items():
        taken.sort()
        p50, p99 = taken[len(taken) // 2], taken[min(len(taken) - 1, len(taken) * 99 // 100)]
        print(f"check_api.{name}_p50_ms  {p50 * 1000:.3f}  p99_ms  {p99 * 1000:.3f}")
    print(f"RESULT check_api.ping_per_s {ping_rate:.2f} /s")
    print(f"RESULT check_api.check_per_s {check_rate:.2f} /s")
    print(f"RESULT check_api.ratio_vs_ping {ratio:.2f} ratio goal>={RATIO_GOAL:g} {'met' if met else 'missed'}")
    return 0 if met else GOAL_MISSED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="total measuring time (shared by both)")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=200)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="arkid-bench-")
    try:
        _setup_django(var_dir)
        return _bench(args.seconds, args.users, args.groups)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
