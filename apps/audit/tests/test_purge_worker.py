"""The retention job run by a real Celery worker (in a thread) through a real broker.

The broker is the configured one when it is Redis (CI), otherwise the in-memory transport;
a second case uses the filesystem transport that ``make run`` falls back to without Redis.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections
from django.utils import timezone

from apps.audit.actions import record_event
from apps.audit.models import Action, Event
from arkid.celery import app as project_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _close_worker_connections(**kwargs) -> None:
    # The task ran in the worker's thread; its connection must not outlive the test
    # (PostgreSQL refuses to drop a test database that still has a session).
    connections.close_all()


@pytest.fixture(scope="module", params=["configured", "filesystem"])
def worker_app(request, tmp_path_factory):
    """One worker per broker for the module: a worker takes seconds to stop (its loop
    polls the broker in 2-second cycles)."""
    configured = settings.CELERY_BROKER_URL
    if request.param == "configured":
        broker = configured if configured.startswith("redis") else "memory://"
        backend = configured if configured.startswith("redis") else "cache+memory://"
        options = {"polling_interval": 0.05}
    else:
        broker, backend = "filesystem://", "cache+memory://"
        tmp_path = tmp_path_factory.mktemp("broker")
        (tmp_path / "processed").mkdir()
        options = {
            "data_folder_in": str(tmp_path),
            "data_folder_out": str(tmp_path),
            "control_folder": str(tmp_path / "control"),  # kombu's default is ./control in the cwd
            "store_processed": False,
            "polling_interval": 0.05,
        }
    app = Celery("arkid-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks(force=True)  # as arkid/celery.py does, so the worker knows the real tasks
    queue = f"test-{uuid.uuid4().hex}"  # never shared with a developer's running worker
    app.conf.update(
        broker_url=broker,
        result_backend=backend,
        broker_transport_options=options,
        task_default_queue=queue,
        worker_hijack_root_logger=False,
        task_always_eager=False,
    )
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], loglevel="WARNING"):
            yield app
    finally:
        task_postrun.disconnect(_close_worker_connections)
        project_app.set_current()  # start_worker made the test app the default one
        project_app.set_default()


def _event(action: Action, age_days: int) -> Event:
    event = record_event(action, actor_name="tester", target_name=f"{age_days} days old")
    Event.objects.filter(pk=event.pk).update(created=timezone.now() - dt.timedelta(days=age_days))
    return event


def test_worker_purges_events_past_retention_and_keeps_recent_ones(worker_app, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = [_event(Action.USER_CREATED, 31), _event(Action.LOGIN_FAILED, 400)]
    recent = [_event(Action.USER_UPDATED, 29), _event(Action.GROUP_CREATED, 0)]

    deleted = worker_app.send_task("audit.purge_expired_events").get(timeout=30)

    assert deleted == 2
    remaining = set(Event.objects.exclude(action=Action.AUDIT_PURGED).values_list("uuid", flat=True))
    assert remaining == {e.uuid for e in recent}
    assert not Event.objects.filter(uuid__in=[e.uuid for e in old]).exists()
    purge_event = Event.objects.get(action=Action.AUDIT_PURGED)
    assert purge_event.detail["deleted"] == 2
    assert purge_event.actor_name == "system"


def test_worker_with_retention_zero_keeps_everything(worker_app, settings):
    settings.AUDIT_RETENTION_DAYS = 0
    events = [_event(Action.USER_CREATED, 5000), _event(Action.USER_UPDATED, 1)]

    deleted = worker_app.send_task("audit.purge_expired_events").get(timeout=30)

    assert deleted == 0
    assert set(Event.objects.values_list("uuid", flat=True)) == {e.uuid for e in events}
