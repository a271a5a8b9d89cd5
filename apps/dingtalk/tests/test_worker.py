"""End to end with a real Celery worker (in a thread, in-memory broker): the API starts a
sync, and a DingTalk change pushed to the callback endpoint lands through an incremental sync."""

from __future__ import annotations

import importlib
import time
import uuid

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import OperationalError, connections

from apps.dingtalk.models import DingTalkUser, SyncRun
from arkid.celery import app as project_app

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _close_worker_connections(**kwargs) -> None:
    connections.close_all()


@pytest.fixture(scope="module")
def worker_app():
    app = Celery("arkid-dingtalk-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks(force=True)
    queue = f"test-{uuid.uuid4().hex}"
    app.conf.update(
        broker_url="memory://",
        result_backend="cache+memory://",
        broker_transport_options={"polling_interval": 0.05},
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
        project_app.set_current()
        project_app.set_default()


@pytest.fixture
def builtin_group_types():
    """A transactional test before this one flushed the tables the data migration filled."""
    from django.apps import apps

    migration = importlib.import_module("apps.directory.migrations.0002_builtin_group_types")
    migration.create_builtin_types(apps, None)


def _wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OperationalError:  # SQLite's shared in-memory test database: the worker is writing
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_api_sync_then_callback_event_through_the_worker(
    builtin_group_types, worker_app, emulator, admin_client, live_server, settings
):
    response = admin_client.post("/siteapi/v1/task/import/ding/")
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    run = _wait_for(lambda: SyncRun.objects.filter(pk=run_id).exclude(status=SyncRun.Status.RUNNING).first())
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert DingTalkUser.objects.count() == len(emulator.emulator.org.users)

    settings.DINGTALK_CALLBACK_TOKEN = "cb-token"
    settings.DINGTALK_CALLBACK_AES_KEY = AES_KEY
    emulator.control(
        "callback", {"url": f"{live_server.url}/siteapi/v1/dingtalk/callback/", "token": "cb-token", "aes_key": AES_KEY}
    )
    result = emulator.control(
        "change", {"op": "add_user", "user": {"name": "事件新人", "mobile": "13922223333", "dept_id_list": [1]}}
    )
    assert result["callback"] == {"ok": True, "status": 200}  # the emulator decrypted our "success"
    userid = result["event"]["UserId"][0]
    link = _wait_for(lambda: DingTalkUser.objects.filter(userid=userid).select_related("user").first())
    assert link.user.name == "事件新人"
    assert _wait_for(
        lambda: SyncRun.objects.filter(kind=SyncRun.Kind.INCREMENTAL, status=SyncRun.Status.SUCCEEDED).exists()
    )
