"""The audit log and the CSV import at scale.

1. ``GET log/`` first page (unfiltered, and filtered by actor) over ARKID_BENCH_EVENTS events
   (default 1,000,000; production is tens of millions), against a baseline measured in the
   same run: the bare ``SELECT COUNT(*)`` the old paginator ran on every page. Goal <= 50 ms.
2. ``purge_expired_events`` over the older half of those events (batched deletes).
3. ``POST migration/user/csv/import/`` of ARKID_BENCH_IMPORT_ROWS new users (default 100,000)
   into a department, then the same file again with every name changed (all updates).
   Goal: each well under gunicorn's timeout, <= 30 s.

Runs on PostgreSQL when ARKID_DATABASE_URL is set, otherwise SQLite, always in a throwaway
database.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is not a package; common sets up the import path

common.setup_django()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import ApiToken, digest, new_key  # noqa: E402
from apps.audit.actions import purge_expired_events  # noqa: E402
from apps.audit.models import Event  # noqa: E402
from apps.directory.models import Group, GroupType, User  # noqa: E402

EVENTS = int(os.environ.get("ARKID_BENCH_EVENTS", "1000000"))
IMPORT_ROWS = int(os.environ.get("ARKID_BENCH_IMPORT_ROWS", "100000"))
LOG_GOAL_MS = 50.0
IMPORT_GOAL_S = 30.0
ACTORS = 1000  # events are spread over this many actor ids; the bench admin is one of them

# One statement generating every row in the database (a Python loop would take minutes):
# event n is n seconds older than now, by actor 1 + n %% ACTORS, two events per "login".
_INSERT_PG = """
INSERT INTO audit_event (uuid, created, action, outcome, actor_id, actor_name, target_type, target_id,
                         target_name, changes, detail, ip, user_agent, request_id)
SELECT gen_random_uuid(), now() - make_interval(secs => n * %(step)s),
       CASE WHEN n %% 2 = 0 THEN 'auth.login_succeeded' ELSE 'auth.token_issued' END, 'success',
       1 + n %% %(actors)s, 'user' || (1 + n %% %(actors)s), 'directory.user', (1 + n %% %(actors)s)::text,
       'user' || (1 + n %% %(actors)s), '{}', '{"via": "password"}', '203.0.113.9', 'bench', ''
FROM generate_series(1, %(events)s) AS n
"""
_INSERT_SQLITE = """
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %(events)s)
INSERT INTO audit_event (uuid, created, action, outcome, actor_id, actor_name, target_type, target_id,
                         target_name, changes, detail, ip, user_agent, request_id)
SELECT lower(hex(randomblob(16))), strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (n * %(step)s) || ' seconds'),
       CASE WHEN n %% 2 = 0 THEN 'auth.login_succeeded' ELSE 'auth.token_issued' END, 'success',
       1 + n %% %(actors)s, 'user' || (1 + n %% %(actors)s), 'directory.user', CAST(1 + n %% %(actors)s AS TEXT),
       'user' || (1 + n %% %(actors)s), '{}', '{"via": "password"}', '203.0.113.9', 'bench', ''
FROM seq
"""


def load_events() -> None:
    # Spread over two years, so the purge (365-day retention) has about half to delete.
    step = 2 * 365 * 86400 / EVENTS
    sql = _INSERT_PG if connection.vendor == "postgresql" else _INSERT_SQLITE
    with common.stopwatch(f"{EVENTS} events"), connection.cursor() as cursor:
        cursor.execute(sql, {"events": EVENTS, "actors": ACTORS, "step": step})
    with common.stopwatch("analyze"), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def admin_client() -> Client:
    admin = User.objects.create(username="benchadmin", name="Bench Admin", is_admin=True)
    raw = new_key()
    ApiToken.objects.create(
        user=admin, key_digest=digest(raw), prefix=raw[:8], expires=timezone.now() + dt.timedelta(hours=1)
    )
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def get_ok(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:500]!r}")
    return response


def bench_log(client: Client) -> bool:
    count = common.measure(lambda: Event.objects.count(), repeat=5, warmup=1)
    first = common.measure(lambda: get_ok(client, "/siteapi/oneid/log/"), repeat=20)
    # user1 has no current user row: the actor filter falls back to the actor_name index.
    by_actor = common.measure(lambda: get_ok(client, "/siteapi/oneid/log/?actor=user1"), repeat=20)
    action_days = common.measure(
        lambda: get_ok(client, "/siteapi/oneid/log/?action=auth.token_issued&days=30"), repeat=20
    )
    body = get_ok(client, "/siteapi/oneid/log/").json()
    base_ms = common.ms(count.median)
    common.report("audit_count_all", base_ms, "ms", note="baseline: the COUNT(*) the old paginator ran")
    met = common.report(
        "audit_log_first_page",
        common.ms(first.median),
        "ms",
        baseline=("audit_count_all", base_ms),
        goal=LOG_GOAL_MS,
        note=f"count={body['count']} estimate={body['count_is_estimate']}",
    )
    met &= common.report("audit_log_by_actor", common.ms(by_actor.median), "ms", goal=LOG_GOAL_MS)
    met &= common.report("audit_log_action_30_days", common.ms(action_days.median), "ms", goal=LOG_GOAL_MS)
    return met


def bench_purge() -> None:
    start = time.perf_counter()
    deleted = purge_expired_events()
    common.report("audit_purge", time.perf_counter() - start, "s", note=f"{deleted} events deleted in batches")


def csv_file(names_suffix: str) -> bytes:
    lines = ["username,name,email,mobile,employee_number"]
    lines += [
        f"import{n:06d},Imported {n}{names_suffix},import{n:06d}@example.com,+86139{n:08d},I{n:06d}"
        for n in range(IMPORT_ROWS)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def timed_import(client: Client, raw: bytes, node_uid: str) -> tuple[float, dict]:
    upload = SimpleUploadedFile("users.csv", raw, content_type="text/csv")
    start = time.perf_counter()
    response = client.post("/siteapi/oneid/migration/user/csv/import/", {"users": upload, "node_uid": node_uid})
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"import answered {response.status_code}: {response.content[:500]!r}")
    return elapsed, response.json()


def bench_import(client: Client) -> bool:
    department = Group.objects.get(type__key=GroupType.DEPARTMENT, parent__isnull=True)
    node_uid = department.node_uid
    create_s, created = timed_import(client, csv_file(""), node_uid)
    update_s, updated = timed_import(client, csv_file(" (renamed)"), node_uid)
    assert created["created"] == IMPORT_ROWS and updated["updated"] == IMPORT_ROWS, (created, updated)
    met = common.report(f"csv_import_create_{IMPORT_ROWS}", create_s, "s", goal=IMPORT_GOAL_S)
    met &= common.report(f"csv_import_update_{IMPORT_ROWS}", update_s, "s", goal=IMPORT_GOAL_S)
    return met


def main() -> int:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with common.throwaway_database():
        print(f"loading ({connection.vendor})", flush=True)
        load_events()
        client = admin_client()
        met = bench_log(client)
        bench_purge()
        met &= bench_import(client)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
