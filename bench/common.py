"""Helpers shared by the benchmarks: Django setup on a throwaway database, timing, reporting.

Each measurement is printed as ``name  value  unit`` and, for bench/run.py's summary, as a
``RESULT`` line. A ratio is always against a baseline measured in the same run on the same
machine, so numbers from different machines stay comparable.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "RESULT"


def setup_django() -> None:
    """Import Django with the real settings (not the test ones: the bench measures what runs)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arkid.settings")
    # A bench is one process, so even the in-process cache is shared by everything it runs:
    # measure the cached paths production has with Redis (settings.SHARED_CACHE).
    os.environ.setdefault("ARKID_SHARED_CACHE", "true")
    import django

    django.setup()


def setup_sqlite_django(var_dir: str, *, database_url: str = "", log_level: str = "WARNING", **env: str) -> None:
    """Django with the real settings on a fresh, migrated SQLite file in ``var_dir`` (or
    ``database_url``, an empty database), no Redis, and ``env`` as extra ``ARKID_*``
    variables, for the benches that measure whole requests in one process. Set before Django
    starts, so nothing of the developer's (var dir, database, broker) is touched."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "arkid.settings"
    os.environ["ARKID_VAR_DIR"] = var_dir
    os.environ["ARKID_DATABASE_URL"] = database_url or f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
    os.environ["ARKID_LOG_LEVEL"] = log_level
    os.environ.pop("ARKID_REDIS_URL", None)
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@contextmanager
def throwaway_database():
    """A fresh, migrated database that is dropped afterwards, so a bench never touches real
    data: ``<name>_bench`` on PostgreSQL (ARKID_DATABASE_URL), a file in ARKID_VAR_DIR on SQLite."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    old_name = db["NAME"]
    if connection.vendor == "sqlite":
        db.setdefault("TEST", {})["NAME"] = str(Path(settings.VAR_DIR) / "bench.sqlite3")
    else:  # not test_<name>: a test run may be using that one right now
        db.setdefault("TEST", {})["NAME"] = f"{old_name}_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@dataclass(frozen=True)
class Timing:
    samples: tuple[float, ...]  # seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def worst(self) -> float:
        return max(self.samples)


def measure(fn: Callable[[], object], *, repeat: int = 20, warmup: int = 3) -> Timing:
    """Run ``fn`` ``warmup`` times untimed (caches, connections), then ``repeat`` times timed."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


@contextmanager
def stopwatch(label: str):
    """Print how long a setup step took (not a measurement)."""
    start = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - start:.1f} s", flush=True)


def report(
    name: str,
    value: float,
    unit: str,
    *,
    baseline: tuple[str, float] | None = None,
    goal: float | None = None,
    note: str = "",
) -> bool:
    """Print one result; returns False when a goal (an upper bound) was missed."""
    parts = [f"{name:<40} {value:>10.2f}  {unit}"]
    if baseline is not None:
        base_name, base_value = baseline
        ratio = value / base_value if base_value else float("inf")
        parts.append(f"x{ratio:.1f} vs {base_name}")
    met = goal is None or value <= goal
    if goal is not None:
        parts.append(f"goal <= {goal:g} {unit}: {'met' if met else 'MISSED'}")
    if note:
        parts.append(note)
    print("  ".join(parts), flush=True)
    goal_text = "" if goal is None else f" goal={goal:g} {'met' if met else 'missed'}"
    print(f"{RESULT_PREFIX} {name} {value:.2f} {unit}{goal_text}", flush=True)
    return met


def ms(seconds: float) -> float:
    return seconds * 1000.0


# --- web pages ------------------------------------------------------------------------------


def count_queries(fn: Callable[[], object]) -> int:
    """How many SQL statements one call of ``fn`` runs."""
    from django.db import connection

    seen: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: seen.append(sql) or execute(sql, *args)):
        fn()
    return len(seen)


def page_getter(client, url: str, *, headers: dict | None = None) -> Callable[[], object]:
    """A GET of ``url`` through Django's test client that stops the bench on anything but 200
    (a benchmark of an error page would measure the wrong thing)."""

    def get():
        response = client.get(url, headers=headers or {})
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        return response

    return get


def report_page(
    name: str, get: Callable[[], object], *, baseline: tuple[str, float], goal: float, repeat: int = 20
) -> bool:
    """Measure one page's server time (median, p95, worst, statements) against ``baseline``."""
    queries = count_queries(get)
    timing = measure(get, repeat=repeat)
    p95 = statistics.quantiles(timing.samples, n=20)[-1]
    note = f"p95 {ms(p95):.1f} ms; worst {ms(timing.worst):.1f} ms; {queries} queries"
    return report(name, ms(timing.median), "ms", baseline=baseline, goal=goal, note=note)
