"""Writing audit events. Every other app's actions call :func:`record_event`."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.masking import mask
from apps.audit.models import Action, Event, Outcome
from apps.core import request_context

logger = logging.getLogger(__name__)


def _json_safe(value: Any):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        key: [_json_safe(before.get(key)), _json_safe(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def build_event(
    action: Action,
    *,
    actor=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    target_name: str = "",
    changes: dict | None = None,
    detail: dict | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    actor_name: str = "",
) -> Event:
    """An unsaved event: ``target`` may be a model instance (its type, id and str() are
    snapshotted); request facts (IP, user agent, request id) come from the request context."""
    ctx = request_context.current()
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_name = target_name or str(target)[:255]
    if actor is not None and getattr(actor, "pk", None) is None:
        actor = None
    return Event(
        action=action,
        outcome=outcome,
        actor=actor,
        actor_name=(actor_name or (actor.get_username() if actor else ""))[:150],
        target_type=target_type,
        target_id=str(target_id)[:64],
        target_name=str(target_name)[:255],
        changes=mask(_json_safe(changes or {})),
        detail=mask(_json_safe(detail or {})),
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )


def record_event(action: Action, **kwargs) -> Event:
    """Record one event; the arguments are :func:`build_event`'s."""
    event = build_event(action, **kwargs)
    event.save(force_insert=True)
    return event


def record_events(events: list[Event]) -> None:
    """Record several events built with :func:`build_event` in one INSERT (hot paths: login)."""
    Event.objects.bulk_create(events)


@transaction.atomic
def purge_expired_events(*, now=None) -> int:
    """Delete events older than ARKID_AUDIT_RETENTION_DAYS (0 keeps everything)."""
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _ = Event.objects.filter(created__lt=cutoff).delete()
    if deleted:
        record_event(Action.AUDIT_PURGED, actor_name="system", detail={"deleted": deleted, "before": cutoff})
    logger.info("audit purge removed %s events older than %s", deleted, cutoff.isoformat())
    return deleted
