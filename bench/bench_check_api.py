"""Token check API throughput (``GET auth/token/?app_uid=&perm_uid=``) versus ``GET /ping/``.

    python bench/bench_check_api.py [--seconds 3] [--rounds 5] [--users 2000] [--groups 200]
        [--database-url postgres://.../empty_db] [--redis-url redis://127.0.0.1:6379/2]

Apps call the check on every request they serve, so it must cost little more than a request
that does nothing. The directory is a tree of departments with members, an OAuth app with an
access and a few custom permissions granted to a top-level department and denied to one
user. The check is made for a user in a leaf department, with warm caches (as in production
after the first call), in its three forms:

- ``check``: the user's token, ``app_uid=&perm_uid=``;
- ``check_client_id``: the user's token, ``oauth_client_id=&perm_uid=``;
- ``check_credentials``: the app's own client credentials (``Authorization: Basic``),
  ``username=&perm_uid=``.

Throughput (the goal): a real server, gunicorn started as ``make run`` starts it, saturated
by wrk over loopback (bench/http_load.py), in phases alternating between ``/ping/`` and one
form of the check. ``check_api.<variant>_ratio_vs_ping`` is ping's server CPU time per
request over that form's (gunicorn, plus PostgreSQL and Redis when used; goal >= 0.75 for
each; exit code 3 when one is missed, as bench/run.py expects): a saturated server's
throughput is its cores over that, and unlike requests/s it does not move with whatever else
the machine runs. The requests/s ratio (median of the rounds) is printed beside it
(``rate_ratio_vs_ping``); on a quiet machine the two agree. Latency: p50/p99 of one request at a time through Django's
test client (routing, middleware, no HTTP), alternating call by call with ``/ping/``.

By default SQLite in a temporary directory (ARKID_VAR_DIR and ARKID_DATABASE_URL are
overridden before Django starts) and the in-process cache, marked shared so the cached paths
production has with Redis are measured (nothing writes while the server runs, so each
worker's own copy stays right). ``--database-url`` names an *empty* database to migrate and
use instead (its tables are left behind: drop it afterwards), ``--redis-url`` a Redis
database for the cache (the keys are per run, so no flush is needed).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402 - bench/ is not a package
import http_load  # noqa: E402

RATIO_GOAL = 0.75
GOAL_MISSED = 3  # bench/run.py's exit code for "ran fine, goal not met"


def _setup_django(var_dir: str, database_url: str = "", redis_url: str = "") -> None:
    # One process: the in-process cache is shared by all it runs, as Redis is in production.
    env = {"ARKID_SHARED_CACHE": "true"}
    if redis_url:
        env["ARKID_REDIS_URL"] = redis_url
        env["ARKID_CELERY_BROKER_URL"] = "filesystem://"  # nothing of the bench's in that Redis db
    common.setup_sqlite_django(var_dir, database_url=database_url, **env)


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


def _app(admin):
    """The OAuth app the checks ask about: (client id, client secret)."""
    from apps.permissions.actions.apps import create_app
    from apps.permissions.actions.perms import create_permission

    oauth = {"redirect_uris": ["https://bench.example/cb"], "grant_types": ["client_credentials"]}
    app, shown = create_app(actor=admin, name="Bench app", uid="bench", protocols={"oauth_app": oauth})
    for action in ("manage", "read", "write"):
        create_permission(actor=admin, app=app, name=action, action=action)
    return shown["oauth_app"]["client_id"], shown["oauth_app"]["client_secret"]


def _requests(checker, client_id: str, secret: str) -> dict[str, tuple[str, str]]:
    """{name: (Authorization header, path)} for ping and each form of the check."""
    import base64

    as_user = f"Token {_token(checker)}"
    as_app = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {
        "ping": (as_user, "/ping/"),
        "check": (as_user, "/siteapi/v1/auth/token/?app_uid=bench&perm_uid=access"),
        "check_client_id": (as_user, f"/siteapi/v1/auth/token/?oauth_client_id={client_id}&perm_uid=access"),
        "check_credentials": (as_app, f"/siteapi/v1/auth/token/?username={checker.username}&perm_uid=access"),
    }


def _test_client_calls(requests: dict[str, tuple[str, str]]) -> dict:
    """{name: a function making that request through Django's test client}."""
    from django.test import Client

    def call(authorization: str, url: str):
        client = Client(HTTP_AUTHORIZATION=authorization)

        def operation() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} failed: {response.status_code} {response.content[:200]!r}")

        return operation

    return {name: call(*request) for name, request in requests.items()}


def _percentiles(taken: list[float]) -> tuple[float, float]:
    taken = sorted(taken)
    return taken[len(taken) // 2], taken[min(len(taken) - 1, len(taken) * 99 // 100)]


def _latencies(calls: dict, seconds: float) -> None:
    """p50/p99 of one request at a time, alternating call by call, and of a bare cache read
    (not a request: what a warm check costs the cache at least, a round trip with Redis)."""
    from django.core.cache import cache

    for _ in range(20):  # warm up: imports, URL resolver, first connection, the caches
        for operation in calls.values():
            operation()
    timed = {**calls, "cache_read": lambda: cache.get_many(["bench:a", "bench:b", "bench:c"])}
    samples: dict[str, list[float]] = {name: [] for name in timed}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for name, operation in timed.items():
            start = time.perf_counter()
            operation()
            samples[name].append(time.perf_counter() - start)
    for name, taken in samples.items():
        p50, p99 = _percentiles(taken)
        print(f"check_api.{name}.test_client  p50_ms {p50 * 1000:.3f}  p99_ms {p99 * 1000:.3f}")
        print(f"RESULT check_api.{name}.test_client_p50_ms {p50 * 1000:.3f} ms")


def _throughput(requests: dict[str, tuple[str, str]], services: tuple[str, ...], rounds: int, seconds: int) -> bool:
    """Each form of the check against ping on a real server; True when every goal is met."""
    targets = {
        name: http_load.Target(name, path, headers={"Authorization": authorization})
        for name, (authorization, path) in requests.items()
    }
    met = True
    with http_load.Server(services) as server:
        print(f"check_api.server  gunicorn as make run starts it, {server.connections} connections from wrk")
        for name, target in targets.items():
            if name == "ping":
                continue
            compared = http_load.compare(server, targets["ping"], target, rounds=rounds, seconds=seconds)
            print(compared.describe(f"check_api.{name}", "ping"))
            ok = compared.cpu_ratio >= RATIO_GOAL
            met &= ok
            verdict = "met" if ok else "missed"
            print(f"RESULT check_api.{name}_per_s {statistics.median(p.rate for p in compared.operation):.1f} /s")
            print(f"RESULT check_api.{name}.rate_ratio_vs_ping {compared.ratio:.2f} ratio")
            print(
                f"RESULT check_api.{name}_ratio_vs_ping {compared.cpu_ratio:.2f} ratio goal>={RATIO_GOAL:g} {verdict}"
            )
    return met


def _bench(args) -> int:
    from django.conf import settings
    from django.db import connection

    from apps.directory.models import Membership, User
    from apps.permissions import cache as perm_cache
    from apps.permissions.actions.statuses import set_group_perm_statuses, set_user_perm_statuses
    from apps.permissions.models import Permission

    admin = User.objects.create(username="admin", name="Admin", is_admin=True)
    top, leaf = _directory(args.users, args.groups)
    client_id, secret = _app(admin)
    access = Permission.objects.get(uid="app_bench_access")
    set_group_perm_statuses(top, [(access, 1)], actor=admin)
    denied = User.objects.get(username="u0")
    set_user_perm_statuses(denied, [(access, -1)], actor=admin)
    checker = User.objects.create(username="checker", name="Checker")
    Membership.objects.create(user=checker, group=leaf)
    requests = _requests(checker, client_id, secret)

    # Writes mark the token check's cached entries stale for a few seconds (apps.permissions.cache):
    # let the app's settle, as it has in production long before apps check its permissions.
    time.sleep(perm_cache.STALE_TTL + 0.5)
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"check_api.setup  {connection.vendor} + {cache_backend}, users={args.users} groups={args.groups}"
        f" leaf_depth={leaf.depth}"
    )
    _latencies(_test_client_calls(requests), args.latency_seconds)
    services = tuple(name for name, used in (("postgresql", args.database_url), ("redis", args.redis_url)) if used)
    met = _throughput(requests, services, args.rounds, args.seconds)
    return 0 if met else GOAL_MISSED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="seconds per wrk phase")
    parser.add_argument("--rounds", type=int, default=5, help="ping/check phase pairs per form of the check")
    parser.add_argument("--latency-seconds", type=float, default=6.0, help="test-client latency loop")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--database-url", default="", help="an empty database (default: SQLite in a temp dir)")
    parser.add_argument("--redis-url", default="", help="a Redis database for the cache (default: in-process)")
    args = parser.parse_args()
    if http_load.wrk_missing():
        print(http_load.wrk_missing(), file=sys.stderr)
        return 2
    var_dir = tempfile.mkdtemp(prefix="arkid-bench-")
    try:
        _setup_django(var_dir, args.database_url, args.redis_url)
        return _bench(args)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
