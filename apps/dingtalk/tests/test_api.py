"""Admin API: settings (secrets write-only, env overrides), run history, permissions."""

from __future__ import annotations

import pytest

from apps.audit.models import Event
from apps.dingtalk.models import DingTalkSettings, SyncRun
from apps.dingtalk.sync import run_sync

pytestmark = pytest.mark.django_db
CONFIG = "/siteapi/v1/config/dingtalk/"


def test_settings_secrets_are_write_only_and_encrypted(admin_client, settings):
    settings.DINGTALK_APP_KEY = None
    settings.DINGTALK_APP_SECRET = None
    response = admin_client.patch(
        CONFIG, {"app_key": "dingabc", "app_secret": "s3cret-value", "sync_interval_minutes": 30}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["app_key"] == "dingabc" and body["app_secret_set"] is True and body["configured"] is True
    assert "s3cret-value" not in response.content.decode()
    assert "s3cret-value" not in admin_client.get(CONFIG).content.decode()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT app_secret FROM dingtalk_dingtalksettings")
        stored = cursor.fetchone()[0]
    assert stored and "s3cret-value" not in stored
    assert DingTalkSettings.load().app_secret == "s3cret-value"
    event = Event.objects.get(action="dingtalk.config_updated")
    assert "s3cret-value" not in str(event.changes)


def test_env_variables_win_and_are_read_only(admin_client, settings):
    settings.DINGTALK_APP_KEY = "from-env"
    body = admin_client.get(CONFIG).json()
    assert body["app_key"] == "from-env" and "app_key" in body["overridden"]
    response = admin_client.patch(CONFIG, {"app_key": "other"}, format="json")
    assert response.status_code == 400 and "app_key" in response.json()


def test_bad_input_is_a_400_with_field_messages(admin_client):
    response = admin_client.patch(
        CONFIG, {"sync_interval_minutes": -1, "callback_aes_key": "short", "nope": 1}, format="json"
    )
    assert response.status_code == 400
    assert {"sync_interval_minutes", "callback_aes_key", "nope"} <= set(response.json())


def test_only_administrators(user_client, api_client):
    assert user_client.get(CONFIG).status_code == 403
    assert api_client.get(CONFIG).status_code in (401, 403)
    assert user_client.post("/siteapi/v1/task/import/ding/").status_code == 403


def test_import_needs_configuration(admin_client, settings):
    settings.DINGTALK_APP_KEY = None
    settings.DINGTALK_APP_SECRET = None
    response = admin_client.post("/siteapi/v1/task/import/ding/")
    assert response.status_code == 400 and response.json()["code"] == "not_configured"


def test_import_is_audited_and_refused_while_a_sync_runs(admin_client, emulator, django_capture_on_commit_callbacks):
    from unittest import mock

    from apps.audit.models import Event

    with mock.patch("apps.dingtalk.tasks.sync.apply_async") as queued, django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/siteapi/v1/task/import/ding/")
    assert response.status_code == 202
    body = response.json()
    queued.assert_called_once_with((body["run_id"], "api"), task_id=body["task_id"])
    event = Event.objects.get(action="dingtalk.sync_started")
    assert event.actor_name == "admin" and event.target_id == str(body["run_id"])
    second = admin_client.post("/siteapi/v1/task/import/ding/")  # the first is still queued
    assert second.status_code == 409 and second.json()["code"] == "sync_running"
    assert SyncRun.objects.filter(kind=SyncRun.Kind.FULL).count() == 1


def test_run_history(admin_client, emulator):
    run = run_sync()
    listed = admin_client.get("/siteapi/v1/dingtalk/runs/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["id"] == run.pk and rows[0]["status"] == SyncRun.Status.SUCCEEDED
    detail = admin_client.get(f"/siteapi/v1/dingtalk/runs/{run.pk}/").json()
    assert detail["counts"]["users_created"] == 30 and detail["api_calls"] > 0
    assert admin_client.get("/siteapi/v1/dingtalk/runs/999999/").status_code == 404


def test_history_purge_keeps_recent_runs_and_unsent_entries():
    import datetime as dt

    from django.utils import timezone

    from apps.dingtalk.actions import purge_history
    from apps.dingtalk.models import OutboxEntry

    old, recent = SyncRun.objects.create(), SyncRun.objects.create()
    SyncRun.objects.filter(pk=old.pk).update(started=timezone.now() - dt.timedelta(days=100))
    done = OutboxEntry.objects.create(api="a", target="user:1", status=OutboxEntry.Status.DONE)
    failed = OutboxEntry.objects.create(api="a", target="user:2", status=OutboxEntry.Status.FAILED)
    OutboxEntry.objects.update(updated=timezone.now() - dt.timedelta(days=100))
    assert purge_history() == {"sync_runs": 1, "outbox_entries": 1}
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {recent.pk}
    assert set(OutboxEntry.objects.values_list("pk", flat=True)) == {failed.pk} and done.pk != failed.pk
    assert Event.objects.get(action="dingtalk.history_purged").detail["sync_runs"] == 1
    assert purge_history() == {"sync_runs": 0, "outbox_entries": 0}
    assert Event.objects.filter(action="dingtalk.history_purged").count() == 1
