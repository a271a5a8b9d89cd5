"""Run ArkID's processes in the foreground under one supervisor (``make run``).

Every process in PROCESSES is started in its own process group. Ctrl-C (SIGINT) or SIGTERM
stops them all; if any one exits, the others are stopped too and the supervisor exits with
an error, so a half-running IdP never goes unnoticed. Adding a process is one line in
``processes()``.

Environment: ARKID_HOST (127.0.0.1), ARKID_PORT (8000), ARKID_WEB_WORKERS (2),
ARKID_WEB_THREADS (4), ARKID_WEB_TIMEOUT (120), ARKID_WORKER_CONCURRENCY (2), ARKID_VAR_DIR (var/),
ARKID_LDAP_HOST (127.0.0.1), ARKID_LDAP_PORT (10389), ARKID_LDAPS_PORT (10636).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin/, where gunicorn and celery live
STOP_TIMEOUT = 20.0  # seconds a process gets to finish in-flight work before SIGKILL
POLL_INTERVAL = 0.2


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def processes() -> list[tuple[str, list[str]]]:
    var_dir = Path(_env("ARKID_VAR_DIR", str(ROOT / "var")))
    bind = f"{_env('ARKID_HOST', '127.0.0.1')}:{_env('ARKID_PORT', '8000')}"
    return [
        (
            "web",
            [
                str(BIN / "gunicorn"),
                "arkid.wsgi:application",
                f"--bind={bind}",
                f"--workers={_env('ARKID_WEB_WORKERS', '2')}",
                "--worker-class=gthread",
                f"--threads={_env('ARKID_WEB_THREADS', '4')}",
                # Seconds a request may run before gunicorn restarts its worker. gunicorn's
                # default (30) is too short for the largest CSV imports (100k rows).
                f"--timeout={_env('ARKID_WEB_TIMEOUT', '120')}",
                "--graceful-timeout=15",
                "--access-logfile=-",
                # The path without the query string: invitation keys and filters stay out of logs.
                '--access-logformat=%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"',
                "--no-control-socket",  # one fixed socket path per user would clash between instances
            ],
        ),
        (
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "arkid",
                "worker",
                "-B",
                "-s",
                str(var_dir / "celerybeat-schedule"),
                "--concurrency",
                _env("ARKID_WORKER_CONCURRENCY", "2"),
                "-l",
                "info",
            ],
        ),
        (
            "ldap",
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "ldap_server",
                f"--host={_env('ARKID_LDAP_HOST', '127.0.0.1')}",
                f"--port={_env('ARKID_LDAP_PORT', '10389')}",
                f"--ldaps-port={_env('ARKID_LDAPS_PORT', '10636')}",
            ],
        ),
    ]


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, ask for SIGTERM if the supervisor dies
    (even by SIGKILL), so no orphan keeps the port or the broker busy."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
        os.killpg(proc.pid, sig)


def _failure_status(code: int) -> int:
    """A child that exited, even with 0, is a failure; killed by signal N maps to 128+N like a shell."""
    if code < 0:
        return 128 - code
    return code or 1


class Supervisor:
    def __init__(self, specs: list[tuple[str, list[str]]]):
        self.specs = specs
        self.running: dict[str, subprocess.Popen] = {}
        self.stop_requested: signal.Signals | None = None

    def _request_stop(self, signum, frame) -> None:
        self.stop_requested = signal.Signals(signum)

    def start(self) -> None:
        # Install handlers explicitly: a shell starting us in the background may have set
        # SIGINT to "ignore", which Python would otherwise inherit.
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        for name, argv in self.specs:
            print(f"[run] starting {name}: {' '.join(argv)}", flush=True)
            # A new session keeps the terminal's Ctrl-C away from the children: only the
            # supervisor receives it, and stops them itself.
            self.running[name] = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                argv, cwd=ROOT, start_new_session=True, preexec_fn=_die_with_parent
            )

    def wait(self) -> int:
        """Block until a stop is requested or a process exits; return the exit status."""
        while self.stop_requested is None:
            for name, proc in self.running.items():
                code = proc.poll()
                if code is not None:
                    print(f"[run] {name} exited with status {code}; stopping the others", flush=True)
                    return _failure_status(code)
            time.sleep(POLL_INTERVAL)
        print(f"[run] {self.stop_requested.name} received; stopping", flush=True)
        return 0

    def stop(self) -> None:
        # SIGTERM to each leader only: gunicorn's master and Celery's main process shut
        # their own children down gracefully (signalling the children too would kill
        # Celery's pool processes mid-task).
        for proc in self.running.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, proc in self.running.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"[run] {name} did not stop within {STOP_TIMEOUT:.0f}s; killing it", flush=True)
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            # Children the leader left behind (e.g. pool processes) go with their group.
            _signal_group(proc, signal.SIGKILL)
        print("[run] all processes stopped", flush=True)


def main() -> int:
    supervisor = Supervisor(processes())
    try:
        supervisor.start()
        status = supervisor.wait()
    finally:
        supervisor.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
