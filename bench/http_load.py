"""Throughput of a real ArkID web server: gunicorn started with the very command ``make run``
uses (scripts/run.py), loaded over loopback by wrk (Debian's ``wrk`` package).

The issues' throughput goals compare an endpoint with ``GET /ping/`` "measured in the same
run with the same server settings". A loop of calls through Django's test client measures
one request's latency on one thread instead: it leaves out what the server does for every
request (HTTP parsing, WSGI, gunicorn's threads), and it counts the time a request waits
for Redis or PostgreSQL as lost, where a server with several threads per core serves other
requests meanwhile. So these benches start the server and saturate it:

- phases of ``seconds`` alternate between the baseline and the operation, ``rounds`` times,
  so a neighbour's noise hits both alike; the ratio is the median of the per-round ratios of
  requests per second (every request answered 2xx, or the bench stops);
- the server's CPU time per request is read from /proc for gunicorn's processes, plus the
  PostgreSQL backends of the bench's database and Redis when the bench uses them (they run
  on this machine too): the throughput per core, and a second ratio that the load
  generator's own CPU cannot bend.

wrk runs a Lua script written here: a fixed request, or a list of request bodies used once
each (authorization codes, refresh tokens). (Chaining each response's new refresh token into
the next request does not work: wrk may ask the script for a request it then never sends.)
Written by hand: wrk is the load generator; what it runs and what is read off /proc is
specific to these benches.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVICE_PROCESSES = {"postgresql": "postgres", "redis": "redis-server"}


def wrk_missing() -> str:
    """Why the load generator cannot run, or ''."""
    return "" if shutil.which("wrk") else "wrk is not installed (Debian: apt-get install wrk)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _pids_named(name: str) -> list[int]:
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == name:
                pids.append(int(comm.parent.name))
    return pids


def _database_backends() -> list[int]:
    """The PostgreSQL backends connected to the bench's database (the server's, which
    persist between requests, and this process's): not the cluster's other databases."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


@dataclass
class Target:
    """One kind of request for wrk: the same ``body`` every time, or each of ``bodies`` once,
    in order (codes and refresh tokens are good once; the phase ends early when they run
    out)."""

    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    bodies: list[str] = field(default_factory=list)

    def lua(self, bodies_file: str) -> str:
        def quoted(text: str) -> str:
            return "[==[" + text + "]==]"

        lines = [
            f"local method, path = {quoted(self.method)}, {quoted(self.path)}",
            "local headers = {}",
            *(f"headers[ {quoted(k)} ] = {quoted(v)}" for k, v in self.headers.items()),
            f"local body = {quoted(self.body)}",
            "local queue, head = {}, 1",
        ]
        if self.bodies:
            lines.append(f"for line in io.lines({quoted(bodies_file)}) do queue[#queue + 1] = line end")
        if self.bodies:
            lines += [
                # Out of bodies: the phase ends there (its duration is what ran); the few
                # requests still asked for are pings, not counted.
                "spare = 0",
                "request = function()",
                "  local value = queue[head]",
                "  queue[head] = nil",
                "  head = head + 1",
                "  if value == nil then",
                "    spare = spare + 1",
                "    wrk.thread:stop()",
                "    return wrk.format('GET', '/ping/')",
                "  end",
                "  return wrk.format(method, path, headers, value)",
                "end",
            ]
        else:
            lines.append("spare = 0")
            lines.append("request = function() return wrk.format(method, path, headers, body) end")
        lines += [
            # The first answer that was not 2xx/3xx, to say why: a global of the thread's Lua
            # state, which done() (run in the main state) reads through setup()'s handles.
            "refused = nil",
            "local threads = {}",
            "setup = function(thread) threads[#threads + 1] = thread end",
            "response = function(status, hdrs, text)",
            "  if status >= 400 and refused == nil then refused = status .. ' ' .. text:sub(1, 300) end",
            "end",
            "done = function(summary, latency, requests)",
            "  local e, spare = summary.errors, 0",
            "  for _, thread in ipairs(threads) do spare = spare + thread:get('spare') end",
            "  io.write(string.format('ARKID %d %d %d %d %d %d %d %d %d %d\\n', summary.requests,",
            "    summary.duration, e.connect, e.read, e.write, e.timeout, e.status,",
            "    latency:percentile(50), latency:percentile(99), spare))",
            "  for _, thread in ipairs(threads) do",
            "    local first = thread:get('refused')",
            "    if first then io.write('REFUSED ' .. first .. '\\n') end",
            "  end",
            "end",
        ]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Phase:
    requests: int
    seconds: float
    cpu: float  # server CPU seconds (gunicorn, and the database and cache servers when used)
    p50_ms: float
    p99_ms: float
    cpu_by: dict[str, float]  # the same, per process group: "web", "postgres", "redis-server"
    # The busiest gunicorn worker's share of the workers' CPU: 1/workers when wrk's
    # connections were spread evenly, up to 1 when one worker got them all.
    worker_share: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.requests * 1000


class Server:
    """gunicorn as scripts/run.py starts it, on a free loopback port, in this process's
    environment (the bench's settings: its database, cache, var dir)."""

    def __init__(self, services: tuple[str, ...] = ()):
        self.port = _free_port()
        self.services = [SERVICE_PROCESSES[s] for s in services if s in SERVICE_PROCESSES]
        self.proc: subprocess.Popen | None = None

    def _argv(self) -> list[str]:
        # scripts/run.py's own command line, loaded by path (bench/run.py has the same name).
        spec = importlib.util.spec_from_file_location("arkid_run_script", ROOT / "scripts" / "run.py")
        run = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(run)
        argv = dict(run.processes())["web"]
        return [f"--bind=127.0.0.1:{self.port}" if a.startswith("--bind=") else a for a in argv]

    def __enter__(self) -> Server:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(  # noqa: S603 - our own gunicorn command
            self._argv(), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._answers():
                return self
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}")
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /ping/ within 60 s")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/ping/", timeout=2) as answer:  # noqa: S310 - loopback
                return answer.status == 200
        except OSError:
            return False

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _option(self, name: str) -> int:
        value = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in self._argv() if a.startswith("--") and "=" in a}
        return int(value.get(name, "1"))

    @property
    def workers(self) -> int:
        return self._option("--workers")

    @property
    def connections(self) -> int:
        """Enough concurrent connections to keep every worker thread busy."""
        return self.workers * self._option("--threads")

    def cpu_seconds(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far of each process of gunicorn ("web") and of each service."""
        groups = {"web": [self.proc.pid, *_children(self.proc.pid)]}
        for name in self.services:
            groups[name] = _database_backends() if name == "postgres" else _pids_named(name)
        return {name: {pid: _cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}

    def _settle(self, window: float = 0.2, longest: float = 5.0) -> None:
        """Wait until the server has finished the previous phase's requests (wrk stops
        sending, but requests already queued, say behind SQLite's write lock, still run):
        their CPU must not count in the next phase."""
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline:
            before = sum(self.cpu_seconds()["web"].values())
            time.sleep(window)
            if sum(self.cpu_seconds()["web"].values()) - before <= 1 / CLOCK_TICKS:  # a tick at most
                return

    @staticmethod
    def _spent(before: dict, after: dict) -> dict[str, float]:
        # Per process: one that started meanwhile (a new database backend) counts from zero;
        # one that ended is not subtracted.
        return {
            name: sum(cpu - before[name].get(pid, 0.0) for pid, cpu in pids.items()) for name, pids in after.items()
        }

    def _busiest_worker_share(self, before: dict[int, float], after: dict[int, float]) -> float:
        spent = [cpu - before.get(pid, 0.0) for pid, cpu in after.items() if pid != self.proc.pid]
        return max(spent) / sum(spent) if spent and sum(spent) > 0 else 0.0

    def phase(self, target: Target, seconds: int) -> Phase:
        with tempfile.TemporaryDirectory(prefix="arkid-wrk-") as scratch:
            bodies_file = str(Path(scratch) / "bodies")
            Path(bodies_file).write_text("".join(f"{b}\n" for b in target.bodies))
            script = Path(scratch) / "script.lua"
            script.write_text(target.lua(bodies_file))
            # A generous timeout: on a loaded machine a request waiting for SQLite's write lock
            # may take seconds; wrk's default (2 s) would count it as an error.
            argv = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script)]
            argv.append(self.url + target.path)
            self._settle()
            before = self.cpu_seconds()
            done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
            after = self.cpu_seconds()
            cpu = self._spent(before, after)
            share = self._busiest_worker_share(before["web"], after["web"])
        line = next((x for x in done.stdout.splitlines() if x.startswith("ARKID ")), None)
        if done.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed on {target.name}: {done.stderr.strip() or done.stdout[-500:]}")
        numbers = [int(x) for x in line.split()[1:]]
        requests, duration_us, (connect, read, write, timeout), bad_status, p50, p99, spare = (
            numbers[0],
            numbers[1],
            numbers[2:6],
            *numbers[6:],
        )
        socket_errors = connect + read + write + timeout
        requests -= min(spare, requests)
        if socket_errors or bad_status or not requests:
            refused = next((x[len("REFUSED ") :] for x in done.stdout.splitlines() if x.startswith("REFUSED ")), "")
            raise SystemExit(
                f"{target.name}: {bad_status} answers were not 2xx/3xx and {socket_errors} socket errors"
                f" (connect {connect}, read {read}, write {write}, timeout {timeout})"
                f" in {requests} requests (an error page would measure the wrong thing); first: {refused}"
            )
        return Phase(requests, duration_us / 1e6, sum(cpu.values()), p50 / 1000, p99 / 1000, cpu, share)


@dataclass(frozen=True)
class Comparison:
    baseline: list[Phase]
    operation: list[Phase]

    @property
    def ratio(self) -> float:
        """Median over rounds of (operation requests/s) / (baseline requests/s)."""
        return statistics.median(o.rate / b.rate for o, b in zip(self.operation, self.baseline, strict=True))

    @property
    def cpu_ratio(self) -> float:
        """(baseline server CPU per request) / (operation's), totals over all rounds."""
        base = sum(p.cpu for p in self.baseline) / sum(p.requests for p in self.baseline)
        op = sum(p.cpu for p in self.operation) / sum(p.requests for p in self.operation)
        return base / op

    @staticmethod
    def _median(phases: list[Phase], attribute: str) -> float:
        return statistics.median(getattr(p, attribute) for p in phases)

    @staticmethod
    def _cpu_split(phases: list[Phase]) -> str:
        requests = sum(p.requests for p in phases)
        return " + ".join(
            f"{group} {sum(p.cpu_by[group] for p in phases) / requests * 1000:.2f}" for group in phases[0].cpu_by
        )

    def describe(self, name: str, baseline_name: str) -> str:
        op, base = self.operation, self.baseline
        return (
            f"{name}  {self._median(op, 'rate'):.0f}/s ({baseline_name} {self._median(base, 'rate'):.0f}/s)"
            f"  p50_ms {self._median(op, 'p50_ms'):.2f}  p99_ms {self._median(op, 'p99_ms'):.2f}"
            f"  server_cpu_ms {self._median(op, 'cpu_ms'):.2f} ({baseline_name} {self._median(base, 'cpu_ms'):.2f})"
            f"  [{self._cpu_split(op)}] ({baseline_name} [{self._cpu_split(base)}])"
        )


def compare(server: Server, baseline: Target, operation, *, rounds: int, seconds: int, observe=None) -> Comparison:
    """Alternate phases of ``baseline`` and ``operation`` (a Target, or a function returning
    a fresh one per phase: codes to redeem, tokens to refresh), after an untimed warm-up;
    ``observe`` is called with each phase of the operation (to size the next one's bodies)."""

    def target() -> Target:
        return operation() if callable(operation) else operation

    def measured(phase: Phase) -> Phase:
        if observe is not None:
            observe(phase)
        return phase

    server.phase(baseline, 1)
    measured(server.phase(target(), 1))
    base, op = [], []
    for _ in range(rounds):
        fresh = target()  # made before the baseline phase: its making is not in either
        base.append(_balanced(server, itertools.repeat(baseline), seconds))
        op.append(measured(_balanced(server, _fresh_after(fresh, target), seconds)))
    return Comparison(base, op)


def _fresh_after(first: Target, make) -> Iterator[Target]:
    yield first
    while True:
        yield make()


def _balanced(server: Server, targets: Iterator[Target], seconds: int, attempts: int = 6) -> Phase:
    """A phase in which wrk's connections were spread over gunicorn's workers.

    wrk opens its connections at once, and the first worker to wake may accept all of them
    (seen here: about one phase in three). Served by one process, the same requests cost
    another CPU figure (its threads contend for one GIL; SQLite writers do not wait on another
    process), and production's many clients spread over the workers. So a lopsided phase is
    run again (a fresh target each time: bodies are used once), up to ``attempts`` times; the
    most even one is kept."""
    even = 1 / max(server.workers, 1) + 0.15
    best = None
    for _ in range(attempts):
        phase = server.phase(next(targets), seconds)
        if best is None or phase.worker_share < best.worker_share:
            best = phase
        if phase.worker_share <= even:
            break
    return best
