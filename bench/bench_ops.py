"""Operations overheads: request metrics and JSON logs per request; backup export and restore.

    python bench/bench_ops.py [--seconds 10] [--users 10000] [--groups 300]

1. ``GET /ping/`` through Django's test client (routing, every middleware) with metrics on
   versus off, alternating call by call in one process so machine noise hits both alike.
   ``ops.metrics_ratio`` = throughput with metrics / without (goal >= 0.90: counting a
   request must cost a small fraction of the cheapest request). The same for a JSON request
   log line per request (``ARKID_REQUEST_LOG`` with the JSON formatter, written to /dev/null).
2. ``arkid_export`` and ``arkid_import`` of a directory of ``--users`` users in ``--groups``
   departments, one membership each: users per second, against the baseline of inserting
   the same users with one bulk INSERT per 1,000 (the floor any restore must stand on).

SQLite in a temporary directory and the in-process cache, so nothing of the developer's is
touched (ARKID_DATABASE_URL and ARKID_VAR_DIR are overridden before Django starts).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402 - bench/ is not a package

METRICS_RATIO_GOAL = 0.90
GOAL_MISSED = 3


def _setup_django(var_dir: str) -> None:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    common.setup_sqlite_django(var_dir)


def _alternate(seconds: float, a, b) -> tuple[float, float]:
    """Calls per second of a and b, measured call by call in turn."""
    for _ in range(50):
        a()
        b()
    spent = [0.0, 0.0]
    calls, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for i, fn in enumerate((a, b)):
            start = time.perf_counter()
            fn()
            spent[i] += time.perf_counter() - start
        calls += 1
    return calls / spent[0], calls / spent[1]


def _bench_requests(seconds: float) -> bool:
    from django.conf import settings
    from django.test import Client

    from apps.core.jsonlog import JsonFormatter

    client = Client()

    def ping(metrics: bool, log: bool):
        def call() -> None:
            settings.METRICS_ENABLED = metrics
            logging.getLogger("arkid.request").disabled = not log
            if client.get("/ping/").status_code != 200:
                raise SystemExit("ping failed")

        return call

    # The request log: JSON lines to /dev/null, through the real middleware and formatter.
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives for the process
    handler.setFormatter(JsonFormatter())
    request_logger = logging.getLogger("arkid.request")
    request_logger.addHandler(handler)
    request_logger.setLevel(logging.INFO)
    request_logger.propagate = False
    settings.REQUEST_LOG = True  # read when the middleware chain is built: the client builds it lazily
    bare, counted = _alternate(seconds / 2, ping(False, False), ping(True, False))
    unlogged, logged = _alternate(seconds / 2, ping(True, False), ping(True, True))
    metrics_ratio, log_ratio = counted / bare, logged / unlogged
    met = metrics_ratio >= METRICS_RATIO_GOAL
    print(f"ops.ping_per_s_without_metrics  {bare:.1f}")
    print(f"ops.ping_per_s_with_metrics  {counted:.1f}  (+{(1 / counted - 1 / bare) * 1e6:.1f} us per request)")
    print(f"ops.ping_per_s_with_json_request_log  {logged:.1f}  (+{(1 / logged - 1 / unlogged) * 1e6:.1f} us)")
    print(f"RESULT ops.ping_per_s {bare:.2f} /s")
    print(
        f"RESULT ops.metrics_ratio {metrics_ratio:.2f} ratio goal>={METRICS_RATIO_GOAL:g} {'met' if met else 'missed'}"
    )
    print(f"RESULT ops.json_request_log_ratio {log_ratio:.2f} ratio")
    return met


def _bench_backup(users: int, groups: int) -> None:
    from apps.audit.models import Event
    from apps.directory.models import Group, GroupType, Membership, User
    from apps.ops.backup import export_directory
    from apps.ops.restore import restore_directory

    root = GroupType.objects.select_related("root").get(key=GroupType.DEPARTMENT).root
    made = []
    for n in range(groups):
        group = Group.objects.create(uid=f"d{n}", name=f"Dept {n}", type=root.type, parent=root, path="", depth=1)
        group.path = f"{root.path}{group.pk}/"
        group.save(update_fields=["path"])
        made.append(group)
    rows = [User(username=f"u{n}", name=f"User {n}", email=f"u{n}@example.org", password="!") for n in range(users)]
    start = time.perf_counter()
    people = []
    for i in range(0, users, 1000):
        people += User.objects.bulk_create(rows[i : i + 1000])
    insert_s = time.perf_counter() - start
    Membership.objects.bulk_create([Membership(user=u, group=made[i % groups], order=i) for i, u in enumerate(people)])

    start = time.perf_counter()
    document = json.loads(json.dumps(export_directory()))
    export_s = time.perf_counter() - start

    Membership.objects.all().delete()
    Group.objects.filter(parent__isnull=False).delete()
    User.objects.all().delete()
    Event.objects.all().delete()
    start = time.perf_counter()
    restore_directory(document)
    import_s = time.perf_counter() - start
    assert User.objects.count() == users and Membership.objects.count() == users

    print(f"ops.backup  users={users} groups={groups}  bulk insert baseline {insert_s:.2f} s")
    print(f"ops.export_s  {export_s:.2f}  ({users / export_s:.0f} users/s, x{export_s / insert_s:.1f} vs bulk insert)")
    print(f"ops.import_s  {import_s:.2f}  ({users / import_s:.0f} users/s, x{import_s / insert_s:.1f} vs bulk insert)")
    print(f"RESULT ops.export_users_per_s {users / export_s:.2f} /s")
    print(f"RESULT ops.import_users_per_s {users / import_s:.2f} /s")
    print(f"RESULT ops.import_vs_bulk_insert {import_s / insert_s:.2f} ratio")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time of the request part")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=300)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="arkid-bench-")
    try:
        _setup_django(var_dir)
        met = _bench_requests(args.seconds)
        _bench_backup(args.users, args.groups)
        return 0 if met else GOAL_MISSED
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
