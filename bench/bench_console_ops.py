"""The console's operations areas at scale: the audit log over ARKID_BENCH_EVENTS events
(default 1,000,000, loaded by bench_audit's one-statement generator), the sync history over
10,000 runs and the push-back outbox over 100,000 entries.

Server time of each page through Django's test client with an administrator's session:

- audit log: first page unfiltered (PostgreSQL: planner estimate for the count), filtered by
  actor, by an action family over the last 30 days, by free text over one day, a deep page
  (page 50) and one event's detail;
- account sync: the index (latest run, outbox counts), the history's first page, the outbox's
  default view (pending and failed) and its failed entries.

Baseline in the same run: the bare ``SELECT COUNT(*)`` of the events a counting paginator
would run on every page. Goal (issue 8): each page <= 150 ms. PostgreSQL when
ARKID_DATABASE_URL is set, otherwise SQLite.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_audit  # noqa: E402 - also sets Django up (bench/common.py)
import common  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.audit.models import Event  # noqa: E402
from apps.dingtalk.models import OutboxEntry, SyncRun  # noqa: E402
from apps.directory.models import User  # noqa: E402

GOAL_MS = 150.0
RUNS = 10_000
OUTBOX = 100_000


def load_sync_rows() -> None:
    now = timezone.now()
    with common.stopwatch(f"{RUNS} sync runs, {OUTBOX} outbox entries"):
        SyncRun.objects.bulk_create(
            [
                SyncRun(
                    status=SyncRun.Status.SUCCEEDED if n % 50 else SyncRun.Status.FAILED,
                    phase=SyncRun.Phase.DONE,
                    counts={"users_seen": 10_000, "users_updated": n % 7},
                    api_calls=1005,
                    duration=7.0,
                    finished=now,
                )
                for n in range(RUNS)
            ],
            batch_size=2000,
        )
        statuses = [OutboxEntry.Status.DONE] * 97 + [OutboxEntry.Status.PENDING] * 2 + [OutboxEntry.Status.FAILED]
        OutboxEntry.objects.bulk_create(
            [
                OutboxEntry(
                    api="topapi/v2/user/update",
                    target=f"user:{n}",
                    body={"userid": f"u{n}"},
                    status=statuses[n % len(statuses)],
                    attempts=8 if statuses[n % len(statuses)] == OutboxEntry.Status.FAILED else 1,
                )
                for n in range(OUTBOX)
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pages() -> dict[str, str]:
    since = (timezone.localtime() - dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    day = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    event = Event.objects.order_by("-created", "-id").first()
    return {
        "audit_first_page": "/console/audit/",
        "audit_by_actor": "/console/audit/?" + urlencode({"actor": "user1"}),
        "audit_family_30_days": "/console/audit/?" + urlencode({"action": "auth.*", "since": since}),
        "audit_text_1_day": "/console/audit/?" + urlencode({"q": "user7", "since": day}),
        "audit_page_50": "/console/audit/?page=50",
        "audit_detail": f"/console/audit/{event.uuid}/",
        "sync_index": "/console/sync/",
        "sync_history": "/console/sync/runs/",
        "sync_outbox_open": "/console/sync/outbox/",
        "sync_outbox_failed": "/console/sync/outbox/?status=failed",
    }


def main() -> int:
    met = True
    with common.throwaway_database():
        bench_audit.load_events()
        load_sync_rows()
        admin = User.objects.create(username="benchadmin", name="Bench Admin", is_admin=True)
        client = Client()
        client.force_login(admin)
        count = common.measure(lambda: Event.objects.count(), repeat=5, warmup=1)
        base_ms = common.ms(count.median)
        common.report("audit_count_all", base_ms, "ms", note="baseline: the COUNT(*) a counting paginator runs")
        for name, url in pages().items():
            get = common.page_getter(client, url)
            met &= common.report_page(f"console_{name}", get, baseline=("audit_count_all", base_ms), goal=GOAL_MS)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
