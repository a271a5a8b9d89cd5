"""Run every bench/bench_*.py (``make bench``), each in a subprocess with its own throwaway
ARKID_VAR_DIR (never the developer's var/), print their output and a summary.

    python bench/run.py               # all benchmarks
    python bench/run.py user_list     # those whose name contains "user_list"

A benchmark exits 0 when its goals are met, GOAL_MISSED when one was missed, anything else
when it broke. This script exits non-zero if any benchmark did not exit 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULT_PREFIX = "RESULT "
GOAL_MISSED = 3


def run_one(script: Path) -> tuple[int, float, list[str]]:
    with tempfile.TemporaryDirectory(prefix=f"arkid-{script.stem}-") as var_dir:
        env = {
            **os.environ,
            "ARKID_VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "arkid.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        start = time.perf_counter()
        results = []
        with subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(script)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            for line in proc.stdout:
                if line.startswith(RESULT_PREFIX):
                    results.append(line[len(RESULT_PREFIX) :].strip())
                else:
                    print(f"  {line}", end="", flush=True)
        return proc.returncode, time.perf_counter() - start, results


def main(argv: list[str]) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(word in s.stem for word in argv)]
    if not scripts:
        print("no benchmark matched", file=sys.stderr)
        return 2
    summary = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        status, seconds, results = run_one(script)
        summary.append((script.name, status, seconds, results))

    print("\n== summary")
    for name, status, seconds, results in summary:
        verdict = {0: "ok", GOAL_MISSED: "GOAL MISSED"}.get(status, f"FAILED (exit {status})")
        print(f"{name:<32} {verdict:<18} {seconds:6.1f} s")
        for result in results:
            print(f"    {result}")
    return 0 if all(status == 0 for _, status, _, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
