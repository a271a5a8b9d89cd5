"""scripts/run.py, the supervisor behind `make run`, with stand-in processes."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes, started and stopped

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("arkid_run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


SLEEPER = python("import time; time.sleep(60)")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def eventually(predicate, attempts: int = 400) -> bool:
    """Poll a condition that another process makes true (a signal is delivered asynchronously)."""
    for _ in range(attempts):
        if predicate():
            return True
        time.sleep(0.025)
    return predicate()


@pytest.fixture
def supervisor(run):
    created = []

    def make(specs):
        sup = run.Supervisor(specs)
        created.append(sup)
        return sup

    yield make
    for sup in created:  # never leave a process behind, even when an assertion failed
        sup.stop()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_the_configured_processes_are_web_and_worker(run, monkeypatch):
    monkeypatch.setenv("ARKID_HOST", "192.0.2.1")
    monkeypatch.setenv("ARKID_PORT", "9000")
    monkeypatch.setenv("ARKID_VAR_DIR", "/srv/arkid")
    specs = dict(run.processes())
    assert list(specs) == ["web", "worker", "ldap"]
    assert specs["ldap"][2:] == ["ldap_server", "--host=127.0.0.1", "--port=10389", "--ldaps-port=10636"]
    assert "--bind=192.0.2.1:9000" in specs["web"]
    assert "--timeout=120" in specs["web"]  # gunicorn's 30 s default would kill large CSV imports
    assert specs["web"][1] == "arkid.wsgi:application"
    assert specs["worker"][1:6] == ["-A", "arkid", "worker", "-B", "-s"]
    assert specs["worker"][6] == "/srv/arkid/celerybeat-schedule"


def test_when_one_process_exits_the_others_are_stopped(supervisor):
    sup = supervisor([("long", SLEEPER), ("short", python("import sys; sys.exit(3)"))])
    sup.start()
    status = sup.wait()
    sup.stop()
    assert status == 3
    assert eventually(lambda: not alive(sup.running["long"].pid))


def test_a_process_exiting_cleanly_still_fails_the_supervisor(supervisor):
    sup = supervisor([("long", SLEEPER), ("done", python("pass"))])
    sup.start()
    assert sup.wait() == 1


def test_a_process_killed_by_a_signal_gives_a_shell_like_status(supervisor):
    sup = supervisor([("long", SLEEPER), ("killed", python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))])
    sup.start()
    assert sup.wait() == 128 + signal.SIGKILL


def test_a_stop_signal_stops_everything_with_status_0(supervisor):
    sup = supervisor([("a", SLEEPER), ("b", SLEEPER)])
    sup.start()
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    assert sup.wait() == 0
    assert sup.stop_requested == signal.SIGINT
    sup.stop()
    assert eventually(lambda: not any(alive(p.pid) for p in sup.running.values()))


def test_a_process_ignoring_sigterm_is_killed_after_the_timeout(supervisor, run, monkeypatch, tmp_path):
    monkeypatch.setattr(run, "STOP_TIMEOUT", 0.5)
    ready = tmp_path / "ready"
    stubborn = python(
        "import pathlib, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)"
    )
    sup = supervisor([("stubborn", stubborn)])
    sup.start()
    proc = sup.running["stubborn"]
    assert eventually(ready.exists)  # it has installed its handler
    sup.stop_requested = signal.SIGTERM
    sup.wait()
    sup.stop()
    assert proc.returncode == -signal.SIGKILL


def test_grandchildren_left_behind_are_killed_with_their_group(supervisor, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    spawner = python(
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "sys.exit(0)"
    )
    sup = supervisor([("spawner", spawner)])
    sup.start()
    sup.wait()
    grandchild = int(pid_file.read_text())
    sup.stop()
    assert eventually(lambda: not alive(grandchild))
