"""Writes of the DingTalk app's own rows (settings), each audited."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.dingtalk import config as config_module
from apps.dingtalk import tasks
from apps.dingtalk.config import overridden_fields
from apps.dingtalk.models import DingTalkSettings, OutboxEntry, SyncRun

SECRET_FIELDS = ("app_secret", "callback_token", "callback_aes_key")
TEXT_FIELDS = {"app_key": 128, "corp_id": 64, "app_secret": 512, "callback_token": 128, "callback_aes_key": 43}
BOOL_FIELDS = ("match_by_mobile", "match_by_email", "push_back", "login_provisioning")
WRITABLE = (*TEXT_FIELDS, *BOOL_FIELDS, "sync_interval_minutes")


def _clean(field: str, value):
    if field in TEXT_FIELDS:
        if not isinstance(value, str) or len(value.strip()) > TEXT_FIELDS[field]:
            raise ValidationError(_("A string of at most %(n)d characters.") % {"n": TEXT_FIELDS[field]})
        value = value.strip()
        if field == "callback_aes_key" and value and (len(value) != 43 or not value.isalnum()):
            raise ValidationError(_("The EncodingAESKey is 43 letters and digits."))
        return value
    if field in BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ValidationError(_("Must be true or false."))
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 7 * 24 * 60:
        raise ValidationError(_("Minutes between 0 (off) and 10080."))
    return value


@transaction.atomic
def update_settings(fields: dict, *, actor) -> DingTalkSettings:
    """Change the admin config; fields set by ``ARKID_DINGTALK_*`` variables are refused."""
    locked = set(overridden_fields())
    errors, cleaned = {}, {}
    for field, value in fields.items():
        if field not in WRITABLE:
            errors[field] = [_("This field cannot be set here.")]
        elif field in locked:
            errors[field] = [_("Set by an ARKID_DINGTALK_* environment variable; change it there.")]
        else:
            try:
                cleaned[field] = _clean(field, value)
            except ValidationError as exc:
                errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    row = DingTalkSettings.objects.select_for_update().get(pk=DingTalkSettings.load().pk)
    before = {f: getattr(row, f) for f in cleaned}
    changed = {f: v for f, v in cleaned.items() if before[f] != v}
    if not changed:
        return row
    for field, value in changed.items():
        setattr(row, field, value)
    update_fields = [*changed, "updated"]
    if "push_back" in changed:
        row.push_back_cursor = 0  # the collector restarts from the newest event, not from history
        update_fields.append("push_back_cursor")
    row.save(update_fields=update_fields)
    masked = {f: ("(set)" if f in SECRET_FIELDS and v else v) for f, v in changed.items()}
    masked_before = {f: ("(set)" if f in SECRET_FIELDS and before[f] else before[f]) for f in changed}
    record_event(
        Action.DINGTALK_CONFIG_UPDATED,
        actor=actor,
        target_type="dingtalk.settings",
        target_id="1",
        target_name="DingTalk",
        changes=diff(masked_before, masked),
    )
    return row


@transaction.atomic
def retry_outbox_entry(entry: OutboxEntry, *, actor) -> OutboxEntry:
    """Send a failed (or waiting) push-back entry again at the next tick, attempts reset."""
    entry = OutboxEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status == OutboxEntry.Status.DONE:
        raise ValidationError({"status": [_("This entry was already sent.")]})
    before = {"status": entry.status, "attempts": entry.attempts}
    entry.status = OutboxEntry.Status.PENDING
    entry.attempts = 0
    entry.next_attempt = timezone.now()
    entry.save(update_fields=["status", "attempts", "next_attempt", "updated"])
    record_event(
        Action.DINGTALK_OUTBOX_RETRIED,
        actor=actor,
        target_type="dingtalk.outboxentry",
        target_id=str(entry.pk),
        target_name=f"{entry.api} {entry.target}",
        changes=diff(before, {"status": entry.status, "attempts": 0}),
    )
    return entry


# A run still "running" after this long died with its worker (the sync lock expires then too).
STALE_RUN_SECONDS = 3600


def running_full_sync() -> SyncRun | None:
    """The full sync queued or in progress, if any (a dead worker's run counts as ended)."""
    recent = timezone.now() - dt.timedelta(seconds=STALE_RUN_SECONDS)
    return SyncRun.objects.filter(kind=SyncRun.Kind.FULL, status=SyncRun.Status.RUNNING, started__gte=recent).first()


@transaction.atomic
def start_sync(*, actor, trigger: str = "console") -> SyncRun:
    """Queue a full sync (Celery task ``dingtalk.sync``) once this transaction commits, so
    the worker finds the run row. Refused while DingTalk is not configured or another full
    sync is queued or running (the second would only be recorded as skipped)."""
    if not config_module.current().configured:
        raise ValidationError({"app_key": [_("Set the AppKey and AppSecret first.")]})
    busy = running_full_sync()
    if busy is not None:
        raise ValidationError({"run": [_("Sync #%(id)d is still running.") % {"id": busy.pk}]})
    run = SyncRun.objects.create(kind=SyncRun.Kind.FULL, trigger=trigger)
    record_event(
        Action.DINGTALK_SYNC_STARTED,
        actor=actor,
        target_type="dingtalk.syncrun",
        target_id=str(run.pk),
        target_name="full sync",
        detail={"trigger": trigger},
    )
    # The task id is chosen now so the caller can report it before the task is queued.
    run.task_id = str(uuid.uuid4())
    transaction.on_commit(lambda: tasks.sync.apply_async((run.pk, trigger), task_id=run.task_id))
    return run


HISTORY_DAYS = 90


@transaction.atomic
def purge_history(*, days: int = HISTORY_DAYS) -> dict:
    """Delete sync runs and sent outbox entries older than ``days`` (the beat tick calls it);
    failed and pending entries stay until handled. Audited when something went."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    runs, _by_model = SyncRun.objects.filter(started__lt=cutoff).delete()
    sent, _by_model = OutboxEntry.objects.filter(status=OutboxEntry.Status.DONE, updated__lt=cutoff).delete()
    if runs or sent:
        record_event(
            Action.DINGTALK_HISTORY_PURGED,
            actor_name="system",
            target_type="dingtalk.history",
            target_name="DingTalk",
            detail={"sync_runs": runs, "outbox_entries": sent, "cutoff": cutoff.isoformat()},
        )
    return {"sync_runs": runs, "outbox_entries": sent}
