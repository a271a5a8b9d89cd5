from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from apps.core import heartbeat
from arkid.celery import HeartbeatStep, app


@pytest.fixture
def beat_file(settings, tmp_path):
    settings.WORKER_HEARTBEAT_FILE = str(tmp_path / "hb" / "worker-heartbeat")
    return tmp_path / "hb" / "worker-heartbeat"


def test_probe_fails_without_a_heartbeat(beat_file):
    with pytest.raises(CommandError, match="no worker heartbeat"):
        call_command("worker_heartbeat", "--max-age", "60")


def test_probe_passes_on_a_fresh_heartbeat_and_fails_on_a_stale_one(beat_file):
    heartbeat.beat()
    call_command("worker_heartbeat", "--max-age", "60")
    heartbeat.beat(now=time.time() - 300)
    with pytest.raises(CommandError, match="old"):
        call_command("worker_heartbeat", "--max-age", "60")


def test_step_beats_on_start_and_repeats_on_the_consumer_timer(beat_file):
    class Timer:
        def call_repeatedly(self, interval, fun):
            self.interval, self.fun = interval, fun
            return self

        def cancel(self):
            self.cancelled = True

    class Consumer:
        timer = Timer()

    step = HeartbeatStep.__new__(HeartbeatStep)
    step.tref = None
    step.start(Consumer)
    assert heartbeat.age() is not None and heartbeat.age() < 60
    assert Consumer.timer.interval == heartbeat.interval()
    step.stop(Consumer)
    assert Consumer.timer.cancelled


def test_celery_app_registers_the_step():
    assert HeartbeatStep in app.steps["consumer"]


@pytest.mark.slow
def test_a_real_worker_beats_while_it_consumes(beat_file, monkeypatch):
    """A real Celery worker (in a thread, in-memory broker) with the project's step."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    from arkid.celery import app as project_app

    monkeypatch.setenv("ARKID_WORKER_HEARTBEAT_INTERVAL", "0.1")
    app = Celery("arkid-heartbeat-test", set_as_current=False)
    app.conf.update(broker_url="memory://", result_backend="cache+memory://", worker_hijack_root_logger=False)
    app.steps["consumer"].add(HeartbeatStep)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            seen = set()
            deadline = time.monotonic() + 120
            while len(seen) < 3 and time.monotonic() < deadline:
                if beat_file.exists():
                    seen.add(beat_file.read_text())
                time.sleep(0.05)
            assert len(seen) >= 3, "the worker did not keep beating"
            call_command("worker_heartbeat", "--max-age", "60")
    finally:
        project_app.set_current()
        project_app.set_default()
