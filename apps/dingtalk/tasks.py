"""Celery tasks: the sync (full or incremental), and the beat tick that starts scheduled ones."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from apps.dingtalk import config as config_module
from apps.dingtalk.models import SyncRun

PENDING_KEY = "dingtalk:events:pending"


@shared_task(name="dingtalk.sync")
def sync(run_id: int | None = None, trigger: str = "api") -> dict:
    from apps.dingtalk.sync import run_sync

    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    run = run_sync(trigger=trigger, run=run)
    return {"run": run.pk, "status": run.status, "counts": run.counts}


@shared_task(name="dingtalk.sync_changes", bind=True, max_retries=20)
def sync_changes(self, userids: list[str] | None = None, dept_ids: list[int] | None = None) -> dict:
    """The incremental sync of what change events named (deduplicated by the caller). When
    another sync holds the lock, or DingTalk failed, it runs again later: an event is never
    dropped because a full sync happened to be running."""
    from apps.dingtalk.sync import run_sync

    run = run_sync(trigger="event", userids=userids or (), dept_ids=dept_ids or ())
    if run.status in (SyncRun.Status.SKIPPED, SyncRun.Status.FAILED):
        raise self.retry(countdown=min(15 * 2**self.request.retries, 600))
    return {"run": run.pk, "status": run.status, "counts": run.counts}


@shared_task(name="dingtalk.sync_tick")
def sync_tick() -> bool:
    """Every minute (beat): start a full sync when the configured interval has passed."""
    config = config_module.current()
    if cache.add("dingtalk:history:purged", 1, 24 * 3600):  # once a day
        from apps.dingtalk.actions import purge_history

        purge_history()
    if not config.configured or config.sync_interval_minutes <= 0:
        return False
    last = SyncRun.objects.filter(kind=SyncRun.Kind.FULL).exclude(status=SyncRun.Status.SKIPPED).first()
    due = last is None or last.started <= timezone.now() - dt.timedelta(minutes=config.sync_interval_minutes)
    # One tick starts it even with several beat-like schedulers: cache.add is atomic.
    if due and cache.add("dingtalk:sync:tick", 1, 50):
        run = SyncRun.objects.create(kind=SyncRun.Kind.FULL, trigger="schedule")
        sync.delay(run.pk, "schedule")
        return True
    return False


@shared_task(name="dingtalk.outbox_tick")
def outbox_tick() -> dict:
    """Every 30 s (beat): turn new local changes into outbox entries and send what is due."""
    from apps.dingtalk import pushback

    config = config_module.current()
    if not config.configured:
        return {}
    read = pushback.collect()
    return {"events_read": read, **pushback.process()}
