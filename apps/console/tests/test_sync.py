"""Console "Account sync": settings (secrets write-only), sync now against the DingTalk
emulator over real HTTP, the progress fragment, the history and the push-back outbox."""

from __future__ import annotations

import pytest

from apps.audit.models import Event
from apps.dingtalk.models import DingTalkSettings, DingTalkUser, OutboxEntry, SyncRun
from apps.dingtalk.tests import conftest as dingtalk_fixtures
from apps.permissions.actions.manager_groups import update_manager_group
from apps.permissions.models import ManagerGroup, Permission
from arkid.celery import app as celery_app

pytestmark = pytest.mark.django_db
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF1"
# The DingTalk app's emulator fixtures (a real HTTP server in a thread).
emulator_factory = dingtalk_fixtures.emulator_factory
emulator = dingtalk_fixtures.emulator


@pytest.fixture
def unconfigured(settings):
    settings.DINGTALK_APP_KEY = None
    settings.DINGTALK_APP_SECRET = None


@pytest.fixture
def eager_tasks():
    """The task runs in-process when the transaction commits: the same code a worker runs."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _give_boss(world, *uids):
    group = ManagerGroup.objects.get(uid="sales-admins")
    perms = list(Permission.objects.filter(uid__in=("system_user_create", "system_log_read", *uids)))
    update_manager_group(group, {"perms": perms}, actor=world["admin"])


def test_only_holders_of_account_sync_enter(admin_web, boss_web, plain_web, world):
    assert admin_web.get("/console/sync/").status_code == 200
    assert boss_web.get("/console/sync/").status_code == 403
    assert boss_web.post("/console/sync/start/").status_code == 403
    assert plain_web.get("/console/sync/runs/").status_code == 403
    _give_boss(world, "system_account_sync")
    page = boss_web.get("/console/sync/")
    assert page.status_code == 200 and page.context["form"] is None  # settings: administrators only
    assert "sync" in {item["key"] for item in page.context["nav"]}
    assert boss_web.post("/console/sync/settings/", {"app_key": "x", "sync_interval_minutes": 0}).status_code == 403


def test_settings_save_secrets_write_only_and_audited(admin_web, world, unconfigured):
    form = {
        "app_key": "dingkey",
        "app_secret": "top-s3cret",
        "corp_id": "ding-corp",
        "callback_token": "tok-s3cret",
        "callback_aes_key": AES_KEY,
        "sync_interval_minutes": "60",
        "push_back": "on",
        "match_by_mobile": "on",
    }
    response = admin_web.post("/console/sync/settings/", form)
    assert response.status_code == 302
    row = DingTalkSettings.load()
    assert (row.app_key, row.app_secret, row.corp_id) == ("dingkey", "top-s3cret", "ding-corp")
    assert (row.sync_interval_minutes, row.push_back) == (60, True)
    assert row.match_by_email is False and row.callback_aes_key == AES_KEY
    page = admin_web.get("/console/sync/").content.decode()
    assert "top-s3cret" not in page and "tok-s3cret" not in page and AES_KEY not in page
    assert "Stored — leave blank to keep" in page
    # A blank secret keeps the stored one.
    admin_web.post("/console/sync/settings/", {**form, "app_secret": "", "corp_id": "other"})
    row.refresh_from_db()
    assert (row.app_secret, row.corp_id) == ("top-s3cret", "other")
    events = Event.objects.filter(action="dingtalk.config_updated")
    assert events.count() == 2 and all("top-s3cret" not in str(e.changes) for e in events)


def test_bad_settings_are_inline_errors(admin_web, world, unconfigured):
    response = admin_web.post(
        "/console/sync/settings/", {"app_key": "k", "callback_aes_key": "short", "sync_interval_minutes": "-5"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "sync_interval_minutes" in form.errors
    response = admin_web.post(
        "/console/sync/settings/", {"app_key": "k", "callback_aes_key": "short", "sync_interval_minutes": "5"}
    )
    assert response.status_code == 400
    assert "callback_aes_key" in response.context["form"].errors  # the action's own rule
    assert 'id="id_callback_aes_key-errors"' in response.content.decode()
    assert DingTalkSettings.load().app_key == ""


def test_env_set_fields_are_disabled(admin_web, world, settings):
    settings.DINGTALK_APP_KEY = "from-env"
    settings.DINGTALK_APP_SECRET = "env-secret"
    page = admin_web.get("/console/sync/")
    form = page.context["form"]
    assert form.fields["app_key"].disabled and form.fields["app_secret"].disabled
    response = admin_web.post("/console/sync/settings/", {"app_key": "mine", "sync_interval_minutes": "15"})
    assert response.status_code == 302
    row = DingTalkSettings.load()
    assert row.app_key == "" and row.sync_interval_minutes == 15


def test_sync_now_needs_configuration(admin_web, world, unconfigured):
    response = admin_web.post("/console/sync/start/", follow=True)
    assert "Set the AppKey and AppSecret first." in response.content.decode()
    assert not SyncRun.objects.exists()


def test_sync_now_runs_against_the_emulator(
    admin_web, world, emulator, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = admin_web.post("/console/sync/start/")
    assert "start_sync" in queued[0].__qualname__  # the Celery task, queued once the run row commits
    run = SyncRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/sync/runs/{run.pk}/"
    assert run.status == SyncRun.Status.SUCCEEDED and run.phase == SyncRun.Phase.DONE, run.errors
    assert run.trigger == "console" and run.progress_done == run.progress_total == run.counts["departments_seen"]
    assert DingTalkUser.objects.count() == 30
    started = Event.objects.get(action="dingtalk.sync_started")
    assert started.actor_name == "admin" and started.target_id == str(run.pk)
    status = admin_web.get(f"/console/sync/runs/{run.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="succeeded"' in status and "every 1s" not in status  # polling stops
    assert "users_created" in status
    history = admin_web.get("/console/sync/runs/").content.decode()
    assert f'data-run="{run.pk}"' in history and "Succeeded" in history


def test_progress_fragment_polls_while_running(admin_web, world):
    run = SyncRun.objects.create(phase=SyncRun.Phase.MEMBERS, progress_done=3, progress_total=12)
    fragment = admin_web.get(f"/console/sync/runs/{run.pk}/status/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "3 of 12 departments" in fragment
    assert 'value="30"' in fragment  # 10 + 80 * 3 // 12
    page = admin_web.get("/console/sync/").content.decode()
    assert f"Sync #{run.pk} is running" in page and 'id="sync-start"' not in page


def test_second_start_is_refused_while_one_runs(admin_web, world, emulator):
    running = SyncRun.objects.create()
    response = admin_web.post("/console/sync/start/", follow=True)
    assert f"Sync #{running.pk} is still running." in response.content.decode()
    assert SyncRun.objects.count() == 1


def test_failed_run_shows_the_dingtalk_error(admin_web, world, emulator_factory, settings):
    emulator_factory()
    settings.DINGTALK_APP_SECRET = "wrong-secret"
    from apps.dingtalk.sync import run_sync

    run = run_sync(trigger="console")
    assert run.status == SyncRun.Status.FAILED
    page = admin_web.get(f"/console/sync/runs/{run.pk}/").content.decode()
    assert 'data-status="failed"' in page and "errcode" in page


def test_history_is_paginated(admin_web, world):
    SyncRun.objects.bulk_create([SyncRun(status=SyncRun.Status.SUCCEEDED, phase="done") for _ in range(25)])
    first = admin_web.get("/console/sync/runs/")
    assert len(first.context["page"].object_list) == 20 and first.context["page"].paginator.num_pages == 2
    assert len(admin_web.get("/console/sync/runs/?page=2").context["page"].object_list) == 5
    assert admin_web.get("/console/sync/runs/999999/").status_code == 404


def test_outbox_lists_open_entries_and_retries_through_the_action(admin_web, world):
    failed = OutboxEntry.objects.create(
        api="topapi/v2/user/update", target="user:1", status="failed", attempts=8, last_error={"message": "boom"}
    )
    OutboxEntry.objects.create(api="topapi/v2/user/create", target="user:2", status="pending")
    done = OutboxEntry.objects.create(api="topapi/v2/department/update", target="group:3", status="done")
    page = admin_web.get("/console/sync/outbox/").content.decode()
    assert f'data-entry="{failed.pk}"' in page and f'data-entry="{done.pk}"' not in page and "boom" in page
    only_failed = admin_web.get("/console/sync/outbox/?status=failed").context["page"].object_list
    assert [e.pk for e in only_failed] == [failed.pk]
    response = admin_web.post(f"/console/sync/outbox/{failed.pk}/retry/", {"status": "failed"})
    assert response.status_code == 302 and response["Location"].endswith("?status=failed")
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert Event.objects.filter(action="dingtalk.outbox_retried", target_id=str(failed.pk)).exists()
    refused = admin_web.post(f"/console/sync/outbox/{done.pk}/retry/", follow=True)
    assert "This entry was already sent." in refused.content.decode()
    assert admin_web.post("/console/sync/outbox/999999/retry/").status_code == 404
    assert admin_web.get(f"/console/sync/outbox/{failed.pk}/retry/").status_code == 405


def test_speaks_chinese(admin_web, world):
    page = admin_web.get("/console/sync/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "账号同步" in page and "钉钉设置" in page and "0 条回写等待中" in page
