"""One sync run: lock, fetch, apply in one transaction, record.

* Runs never overlap: a lock in the cache (shared by every process with Redis; ``add`` is
  atomic) and, inside the transaction, a row lock on the settings row (PostgreSQL) — a run
  that finds the lock taken is recorded as ``skipped``.
* Everything is fetched before anything is written, and applied in one transaction: a fetch
  or apply that fails half-way changes nothing, and the run is recorded ``failed`` with the
  DingTalk error (errcode, sub_code, request id). The next run simply starts again.
* Audit events written by the directory actions carry the request id ``dingtalk-sync:<run>``
  and the user agent ``dingtalk-sync``: each change is traceable to the run that made it.
* ``rows_written`` counts INSERT/UPDATE/DELETE statements the apply issued (not counting the
  run record itself): 0 for a run against an unchanged DingTalk.
"""

from __future__ import annotations

import logging
import secrets
import time

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.core import metrics, request_context
from apps.dingtalk import config as config_module
from apps.dingtalk.client import DingTalkClient
from apps.dingtalk.errors import DingTalkError
from apps.dingtalk.fetch import fetch_all, fetch_some
from apps.dingtalk.models import DingTalkSettings, SyncRun
from apps.dingtalk.reconcile import apply_snapshot

logger = logging.getLogger(__name__)
LOCK_KEY = "dingtalk:sync:lock"
LOCK_TTL = 3600  # a crashed worker's lock expires; a run longer than this is not expected


class _WriteCounter:
    """``connection.execute_wrapper`` that counts write statements other than the run record."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip()[:6].upper()
        if head in ("INSERT", "UPDATE", "DELETE") and SyncRun._meta.db_table not in sql:
            self.count += 1
        return execute(sql, params, many, context)


class _ProgressWriter:
    """Writes the fetch's progress to the run row (outside any transaction, so the console's
    poller sees it), at most every ``interval`` seconds plus every phase change: a fetch of
    thousands of departments must not become thousands of writes."""

    def __init__(self, run: SyncRun, interval: float = 0.5):
        self.run, self.interval, self.last = run, interval, 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self.run.phase and done < total and now - self.last < self.interval:
            return
        self.last = now
        self.run.phase, self.run.progress_done, self.run.progress_total = phase, done, total
        SyncRun.objects.filter(pk=self.run.pk).update(phase=phase, progress_done=done, progress_total=total)


def _set_phase(run: SyncRun, phase: str) -> None:
    run.phase = phase
    SyncRun.objects.filter(pk=run.pk).update(phase=phase)


def _acquire() -> str | None:
    token = secrets.token_hex(8)
    return token if cache.add(LOCK_KEY, token, LOCK_TTL) else None


def _release(token: str) -> None:
    if cache.get(LOCK_KEY) == token:
        cache.delete(LOCK_KEY)


def run_sync(
    *,
    trigger: str = "command",
    userids=(),
    dept_ids=(),
    client: DingTalkClient | None = None,
    run: SyncRun | None = None,
) -> SyncRun:
    """A full sync, or an incremental one when ``userids``/``dept_ids`` are given."""
    incremental = bool(userids or dept_ids)
    kind = SyncRun.Kind.INCREMENTAL if incremental else SyncRun.Kind.FULL
    if run is None:
        run = SyncRun.objects.create(kind=kind, trigger=trigger)
    token = _acquire()
    if token is None:
        return _finish(run, SyncRun.Status.SKIPPED, started=time.monotonic())
    started = time.monotonic()
    ctx = request_context.activate(
        request_context.RequestContext(request_id=f"dingtalk-sync:{run.pk}", user_agent="dingtalk-sync")
    )
    try:
        config = config_module.current()
        client = client or DingTalkClient.from_config(config)
        calls_before = client.calls
        try:
            if incremental:
                snap = fetch_some(client, userids=userids, dept_ids=dept_ids)
            else:
                snap = fetch_all(client, on_progress=_ProgressWriter(run))
            run.api_calls = client.calls - calls_before
            _set_phase(run, SyncRun.Phase.APPLYING)
            counter = _WriteCounter()
            with connection.execute_wrapper(counter), transaction.atomic():
                DingTalkSettings.objects.select_for_update().filter(pk=DingTalkSettings.load().pk).first()
                outcome = apply_snapshot(
                    snap, match_by_mobile=config.match_by_mobile, match_by_email=config.match_by_email
                )
                run.rows_written = counter.count
                if counter.count:
                    record_event(
                        Action.DINGTALK_SYNCED,
                        target_type="dingtalk.syncrun",
                        target_id=str(run.pk),
                        target_name=f"{kind} sync",
                        detail={k: v for k, v in outcome.counts.items() if v},
                    )
        except DingTalkError as exc:
            run.api_calls = client.calls - calls_before
            run.errors = [{"message": str(exc), **exc.as_dict()}]
            return _failed(run, started)
        except Exception as exc:  # recorded, then re-raised for the worker's logs
            run.errors = [{"message": f"{exc.__class__.__name__}: {exc}"}]
            _failed(run, started)
            raise
        run.counts = {**outcome.counts, "user_pages": snap.pages}
        run.errors = [{"message": w, "warning": True} for w in outcome.warnings]
        return _finish(run, SyncRun.Status.SUCCEEDED, started=started)
    except DingTalkError as exc:  # not configured
        run.errors = [{"message": str(exc), **exc.as_dict()}]
        return _failed(run, started)
    finally:
        request_context.reset(ctx)
        _release(token)


def _failed(run: SyncRun, started: float) -> SyncRun:
    record_event(
        Action.DINGTALK_SYNC_FAILED,
        outcome=Outcome.FAILURE,
        target_type="dingtalk.syncrun",
        target_id=str(run.pk),
        target_name=f"{run.kind} sync",
        detail={"errors": run.errors[:3]},
    )
    return _finish(run, SyncRun.Status.FAILED, started=started)


def _finish(run: SyncRun, status: str, *, started: float) -> SyncRun:
    run.status = status
    run.phase = SyncRun.Phase.DONE
    run.finished = timezone.now()
    run.duration = round(time.monotonic() - started, 3)
    run.save()
    metrics.sync_run("dingtalk", str(status))
    logger.info("dingtalk sync %s: %s %s", run.pk, status, run.counts)
    return run
