"""DingTalk directory sync against the emulator (real HTTP), 10,000 users in 500 departments.

Figures: full sync time and users/s, API calls made vs. the minimum possible (one listsub
per department + every user page + the root's detail + the token), write statements of a
second sync with no remote change, and a rate-limited run whose duration is compared with
calls / limit. Baseline measured in the same run: the fetch alone (HTTP + JSON, no writes),
so the ratio shows what applying to the directory costs on top of talking to DingTalk.

Goals: calls <= minimum + 1%, no-change sync writes 0 statements, full sync >= 1,000 users/s
(reported as ms per 1,000 users, goal <= 1,000), rate-limited duration within 10% of
calls / limit. ARKID_BENCH_DINGTALK_USERS / _DEPTS change the organisation size.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402 - bench/ is not a package; common sets up the import path

common.setup_django()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402

from apps.dingtalk.client import DingTalkClient  # noqa: E402
from apps.dingtalk.emulator.org import generate  # noqa: E402
from apps.dingtalk.emulator.server import Emulator, start_in_thread  # noqa: E402
from apps.dingtalk.fetch import fetch_all  # noqa: E402
from apps.dingtalk.models import SyncRun  # noqa: E402
from apps.dingtalk.sync import run_sync  # noqa: E402

USERS = int(os.environ.get("ARKID_BENCH_DINGTALK_USERS", "10000"))
DEPTS = int(os.environ.get("ARKID_BENCH_DINGTALK_DEPTS", "500"))
LIMITED_USERS, LIMITED_DEPTS, LIMIT = 400, 30, 20


def _point_at(emulator: Emulator, base: str, rate: float) -> None:
    settings.DINGTALK_OAPI_BASE = settings.DINGTALK_API_BASE = settings.DINGTALK_LOGIN_BASE = base
    settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = emulator.app_key, emulator.app_secret
    settings.DINGTALK_RATE_LIMIT = rate
    cache.clear()


def _minimum(org) -> int:
    pages = sum(max(1, -(-len(org.members(d)) // 100)) for d in org.depts)
    return len(org.depts) + pages + 2  # + root detail + token


def main() -> int:
    ok = True
    with common.throwaway_database():
        with common.stopwatch(f"generating {USERS} users in {DEPTS} departments"):
            org = generate(users=USERS, depts=DEPTS, seed=7)
        emulator = Emulator(org, rate_limit=0)
        server, base = start_in_thread(emulator)
        try:
            _point_at(emulator, base, 0)
            start = time.perf_counter()
            fetch_all(DingTalkClient.from_config())
            fetch_seconds = time.perf_counter() - start
            emulator.calls.clear()
            cache.clear()
            run = run_sync(trigger="bench")
            assert run.status == SyncRun.Status.SUCCEEDED, run.errors
            per_1000 = common.ms(run.duration) / USERS * 1000
            common.report("dingtalk_fetch_only", fetch_seconds, "s", note="baseline: HTTP fetch, no writes")
            ok &= common.report(
                "dingtalk_full_sync_ms_per_1000_users",
                per_1000,
                "ms",
                baseline=("dingtalk_fetch_only per 1000 users", common.ms(fetch_seconds) / USERS * 1000),
                goal=1000,
                note=f"{USERS / run.duration:.0f} users/s; full sync {run.duration:.1f} s on {connection.vendor}",
            )
            minimum = _minimum(org)
            ok &= common.report(
                "dingtalk_calls_vs_minimum",
                run.api_calls / minimum,
                "x",
                goal=1.01,
                note=f"{run.api_calls} calls, minimum {minimum} ({len(org.depts)} depts + user pages + root + token)",
            )
            second = run_sync(trigger="bench")
            ok &= common.report(
                "dingtalk_no_change_sync_writes",
                second.rows_written,
                "statements",
                goal=0,
                note=f"second sync {second.duration:.1f} s, {second.api_calls} calls",
            )
        finally:
            server.shutdown()
            server.server_close()

        small = generate(users=LIMITED_USERS, depts=LIMITED_DEPTS, seed=8)
        limited = Emulator(small, rate_limit=LIMIT)
        server, base = start_in_thread(limited)
        try:
            # The client paces itself just under the server's limit, so it never hits 90018.
            _point_at(limited, base, LIMIT * 0.97)
            start = time.perf_counter()
            fetch = DingTalkClient.from_config()
            fetch_all(fetch)
            seconds = time.perf_counter() - start
            expected = fetch.calls / LIMIT
            ok &= common.report(
                "dingtalk_rate_limited_fetch_vs_calls_per_limit",
                seconds / expected,
                "x",
                goal=1.10,
                note=f"{fetch.calls} calls in {seconds:.1f} s at {LIMIT}/s per API; {fetch.retries} retries",
            )
        finally:
            server.shutdown()
            server.server_close()
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
