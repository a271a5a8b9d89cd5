"""Push-back: changes made in ArkID are written to DingTalk through an outbox (off by default).

Collect: the audit log is the change feed. ``collect()`` reads the directory events after a
cursor (``DingTalkSettings.push_back_cursor``) and turns those about synced users and
department groups into outbox entries built from the *current* local state (so several
edits of one user become one ``v2/user/update``). Events written by a sync run (request id
``dingtalk-sync:…``) are skipped: what came from DingTalk is never echoed back. Deletions
are enqueued by ``pre_delete`` receivers instead, while the DingTalk ids are still known.

Process: ``process()`` sends due entries in order, one target at a time; a failure is
retried with exponential backoff (30 s … 1 h), and after ``MAX_ATTEMPTS`` the entry is
``failed``, shown in the console and retryable. ``dingtalk.outbox_tick`` (beat) runs both.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Max
from django.db.models.signals import pre_delete
from django.utils import timezone

from apps.audit.models import Event
from apps.core import request_context
from apps.dingtalk import config as config_module
from apps.dingtalk.client import DingTalkClient
from apps.dingtalk.errors import DingTalkError
from apps.dingtalk.models import DingTalkDepartment, DingTalkSettings, DingTalkUser, OutboxEntry
from apps.directory.models import Group, User

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
USER_ACTIONS = {"user.created", "user.updated"}
GROUP_ACTIONS = {"group.created", "group.updated", "group.moved"}
MEMBERSHIP_ACTIONS = {"membership.added", "membership.removed"}
WATCHED = USER_ACTIONS | GROUP_ACTIONS | MEMBERSHIP_ACTIONS
SETTLE = dt.timedelta(seconds=2)  # events younger than this may still have lower ids in flight


def _from_sync() -> bool:
    return request_context.current().request_id.startswith("dingtalk-sync:")


def _enabled() -> bool:
    """Cheap (runs on every user/group delete): one indexed SELECT, no row created."""
    from django.conf import settings

    if getattr(settings, "DINGTALK_PUSH_BACK", None) not in (None, ""):
        return config_module.current().push_back
    return DingTalkSettings.objects.filter(pk=1, push_back=True).exists()


def _enqueue(api: str, body: dict, target: str) -> None:
    """One entry per (api, target) while it is still untried: later edits replace the body."""
    pending = OutboxEntry.objects.filter(api=api, target=target, status=OutboxEntry.Status.PENDING, attempts=0)
    if pending.update(body=body, updated=timezone.now()):
        return
    OutboxEntry.objects.create(api=api, body=body, target=target, next_attempt=timezone.now())


# --- what to send ---------------------------------------------------------------------------------
def _ding_mobile(mobile: str) -> str:
    if mobile.startswith("+86"):
        return mobile[3:]
    if mobile.startswith("+"):
        return mobile  # international numbers stay as they are; DingTalk also accepts "+xx-…"
    return mobile


def _user_body(user: User) -> dict:
    dept_ids = sorted(
        DingTalkDepartment.objects.filter(group__memberships__user=user).values_list("dept_id", flat=True)
    )
    body = {"name": user.name or user.username, "title": user.position, "job_number": user.employee_number}
    if user.mobile:
        body["mobile"] = _ding_mobile(user.mobile)
    if user.email:
        body["email"] = user.email
    body["dept_id_list"] = ",".join(str(d) for d in dept_ids)
    return body


def _enqueue_user(user: User) -> None:
    link = DingTalkUser.objects.filter(user=user).first()
    body = _user_body(user)
    if link is not None:
        _enqueue("topapi/v2/user/update", {"userid": link.userid, **body}, f"user:{user.pk}")
    elif body["dept_id_list"] and user.is_active:  # a new employee of a DingTalk department
        _enqueue("topapi/v2/user/create", body, f"user:{user.pk}")


def _enqueue_group(group: Group) -> None:
    link = DingTalkDepartment.objects.filter(group=group).first()
    parent = DingTalkDepartment.objects.filter(group_id=group.parent_id).first()
    if link is not None:
        body = {"dept_id": link.dept_id, "name": group.name}
        if parent is not None and link.dept_id != 1:
            body["parent_id"] = parent.dept_id
        _enqueue("topapi/v2/department/update", body, f"group:{group.pk}")
    elif parent is not None:
        _enqueue("topapi/v2/department/create", {"name": group.name, "parent_id": parent.dept_id}, f"group:{group.pk}")


def _handle(event: Event) -> None:
    if event.action in USER_ACTIONS:
        user = User.objects.filter(pk=event.target_id).first()
        if user is not None:
            _enqueue_user(user)
    elif event.action in GROUP_ACTIONS:
        group = Group.objects.filter(pk=event.target_id).first()
        if group is not None:
            _enqueue_group(group)
    elif event.action in MEMBERSHIP_ACTIONS and DingTalkDepartment.objects.filter(group_id=event.target_id).exists():
        for user in User.objects.filter(username__in=event.detail.get("users") or []):
            _enqueue_user(user)


def collect(*, limit: int = 1000) -> int:
    """Turn new audit events into outbox entries; returns how many events were read."""
    if not _enabled():
        return 0
    with transaction.atomic():
        row = DingTalkSettings.objects.select_for_update().get(pk=DingTalkSettings.load().pk)
        if row.push_back_cursor == 0:
            # Just switched on: push what changes from now on, not the whole history.
            row.push_back_cursor = Event.objects.aggregate(m=Max("id"))["m"] or 0
            row.save(update_fields=["push_back_cursor", "updated"])
            return 0
        events = list(
            Event.objects.filter(id__gt=row.push_back_cursor, created__lte=timezone.now() - SETTLE).order_by("id")[
                :limit
            ]
        )
        for event in events:
            if event.action in WATCHED and not event.request_id.startswith("dingtalk-sync:"):
                _handle(event)
        if events:
            row.push_back_cursor = events[-1].id
            row.save(update_fields=["push_back_cursor", "updated"])
    return len(events)


# --- deletions ------------------------------------------------------------------------------------
def _user_deleting(sender, instance: User, **kwargs) -> None:
    if _from_sync() or not _enabled():
        return
    link = DingTalkUser.objects.filter(user=instance).first()
    if link is not None:
        _enqueue("topapi/v2/user/delete", {"userid": link.userid}, f"user:{instance.pk}")


def _group_deleting(sender, instance: Group, **kwargs) -> None:
    if _from_sync() or not _enabled():
        return
    link = DingTalkDepartment.objects.filter(group=instance).first()
    if link is not None and link.dept_id != 1:
        _enqueue("topapi/v2/department/delete", {"dept_id": link.dept_id}, f"group:{instance.pk}")


def connect() -> None:
    pre_delete.connect(_user_deleting, sender=User, dispatch_uid="dingtalk-pushback-user")
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid="dingtalk-pushback-group")


# --- sending --------------------------------------------------------------------------------------
def _record_result(entry: OutboxEntry, result: dict) -> None:
    """Remember the DingTalk ids of what push-back created, so the next sync links instead of
    duplicating."""
    kind, _sep, pk = entry.target.partition(":")
    if entry.api == "topapi/v2/user/create" and kind == "user":
        userid = str(result.get("userid") or "")
        user = User.objects.filter(pk=pk).first()
        if userid and user is not None:
            DingTalkUser.objects.get_or_create(user=user, defaults={"userid": userid})
    elif entry.api == "topapi/v2/department/create" and kind == "group":
        group = Group.objects.filter(pk=pk).first()
        dept_id = result.get("dept_id")
        if dept_id and group is not None:
            DingTalkDepartment.objects.get_or_create(
                group=group, defaults={"dept_id": int(dept_id), "parent_id": entry.body.get("parent_id")}
            )


def process(*, client: DingTalkClient | None = None, limit: int = 200) -> dict:
    """Send due entries; returns counts. A target whose earlier entry failed waits for it."""
    now = timezone.now()
    due = list(
        OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING, next_attempt__lte=now).order_by("id")[:limit]
    )
    counts = {"done": 0, "retry": 0, "failed": 0}
    if not due:
        return counts
    client = client or DingTalkClient.from_config()
    blocked: set[str] = set()
    for entry in due:
        if entry.target in blocked:
            continue
        try:
            result = client.oapi(entry.api, entry.body).get("result") or {}
        except DingTalkError as exc:
            blocked.add(entry.target)
            entry.attempts += 1
            entry.last_error = {"message": str(exc), **exc.as_dict()}
            if entry.attempts >= MAX_ATTEMPTS:
                entry.status = OutboxEntry.Status.FAILED
                counts["failed"] += 1
            else:
                entry.next_attempt = now + dt.timedelta(seconds=min(30 * 2 ** (entry.attempts - 1), 3600))
                counts["retry"] += 1
            entry.save(update_fields=["attempts", "last_error", "status", "next_attempt", "updated"])
            continue
        with transaction.atomic():
            _record_result(entry, result if isinstance(result, dict) else {})
            entry.status = OutboxEntry.Status.DONE
            entry.attempts += 1
            entry.last_error = {}
            entry.save(update_fields=["attempts", "last_error", "status", "updated"])
        counts["done"] += 1
    return counts
