"""Password-login throughput versus the bare Argon2id verify rate, on a throwaway database.

    python bench/bench_login.py [--seconds 20]

Everything runs in one process on one thread: ``login.bare_argon2_verify_per_s`` is
argon2-cffi's ``PasswordHasher.verify`` with the configured parameters, and
``login.password_login_per_s`` is a full ``POST /siteapi/oneid/ucenter/login/`` through
Django's test client (URL routing, DRF parsing, user lookup, the verify, a new token,
audit events). The two alternate call by call so machine noise hits both alike.
``login.ratio_vs_bare`` is the share of the hash rate the endpoint keeps (goal >= 0.90;
the exit code is 3 when it is missed, as bench/run.py expects).

The database is SQLite in a temporary directory (ARKID_VAR_DIR and ARKID_DATABASE_URL are
overridden before Django starts), so the developer's var/arkid.sqlite3 is never touched.
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

RATIO_GOAL = 0.90
GOAL_MISSED = 3  # bench/run.py's exit code for "ran fine, goal not met"
USERNAME = "bench"
PASSWORD = "Bench-Password-2024!"  # noqa: S105 - a throwaway account in a throwaway database


def _setup_django(var_dir: str) -> None:
    # The bench logs in from one address far faster than the per-IP limit allows; the
    # throttle check itself still runs on every request and is measured.
    common.setup_sqlite_django(var_dir, ARKID_THROTTLE_CREDENTIALS="1000000/minute")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="total measuring time (shared by both)")
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="arkid-bench-")
    try:
        _setup_django(var_dir)
        return _bench(args.seconds)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def _bench(total_seconds: float) -> int:
    from argon2 import PasswordHasher, Type
    from django.conf import settings
    from django.test import Client

    from apps.directory.models import User

    user = User(username=USERNAME, name="Bench")
    user.set_password(PASSWORD)
    user.save()
    assert user.password.startswith("argon2$argon2id$"), "the configured hasher is not Argon2id"

    bare = PasswordHasher(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_COST,
        parallelism=settings.ARGON2_PARALLELISM,
        type=Type.ID,
    )
    bare_hash = bare.hash(PASSWORD)
    client = Client()
    body = {"username": USERNAME, "password": PASSWORD}

    def verify() -> None:
        bare.verify(bare_hash, PASSWORD)

    def login() -> None:
        response = client.post("/siteapi/oneid/ucenter/login/", body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"login failed: {response.status_code} {response.content[:200]!r}")

    verify()  # warm up: imports, URL resolver, first connection
    login()
    # Alternate one verify and one login, timing each: background load then slows both
    # alike instead of skewing whichever phase it happened to overlap.
    spent = {"bare": 0.0, "login": 0.0}
    pairs, deadline = 0, time.perf_counter() + total_seconds
    while time.perf_counter() < deadline:
        for name, operation in (("bare", verify), ("login", login)):
            start = time.perf_counter()
            operation()
            spent[name] += time.perf_counter() - start
        pairs += 1

    bare_rate = pairs / spent["bare"]
    login_rate = pairs / spent["login"]
    print(
        f"login.argon2_params  m={settings.ARGON2_MEMORY_COST}KiB t={settings.ARGON2_TIME_COST} "
        f"p={settings.ARGON2_PARALLELISM}"
    )
    ratio = login_rate / bare_rate
    print(f"login.bare_argon2_verify_ms  {1000 / bare_rate:.1f}")
    print(f"login.bare_argon2_verify_per_s  {bare_rate:.1f}")
    print(f"login.password_login_ms  {1000 / login_rate:.1f}")
    print(f"login.password_login_per_s  {login_rate:.1f}")
    print(f"login.ratio_vs_bare  {ratio:.2f}")
    met = ratio >= RATIO_GOAL
    # Summary lines for bench/run.py (``make bench``).
    print(f"RESULT login.bare_argon2_verify_per_s {bare_rate:.2f} /s")
    print(f"RESULT login.password_login_per_s {login_rate:.2f} /s")
    print(f"RESULT login.ratio_vs_bare {ratio:.2f} ratio goal>={RATIO_GOAL:g} {'met' if met else 'missed'}")
    return 0 if met else GOAL_MISSED


if __name__ == "__main__":
    sys.exit(main())
