"""Writing audit events. Every other app's actions call :func:`record_event`."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from apps.audit.masking import mask
from apps.audit.models import Action, Event, Outcome
from apps.core import metrics, request_context, rows

logger = logging.getLogger(__name__)
_SCALARS = frozenset({str, int, float, bool})


def _no_nul(text: str) -> str:
    """Events quote what callers sent (a client id, a username); PostgreSQL refuses NUL in
    text and JSON, and an event that cannot be written must not turn a refusal into a 500."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _json_safe(value: Any):
    # Scalars first: bulk writes (imports, syncs) pass hundreds of thousands of them.
    if type(value) is str:
        return _no_nul(value)
    if value is None or type(value) in _SCALARS:
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, str):
        return _no_nul(value)
    if isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, dict):
        return {_no_nul(str(k)): _json_safe(v) for k, v in value.items()}
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
        action=Action(action).value,  # the column has no choices: refuse free strings here
        outcome=outcome,
        actor=actor,
        actor_name=_no_nul(actor_name or (actor.get_username() if actor else ""))[:150],
        target_type=target_type,
        target_id=_no_nul(str(target_id))[:64],
        target_name=_no_nul(str(target_name))[:255],
        changes=mask(_json_safe(changes or {})),
        detail=mask(_json_safe(detail or {})),
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )


def record_event(action: Action, **kwargs) -> Event:
    """Record one event; the arguments are :func:`build_event`'s."""
    event = build_event(action, **kwargs)
    _insert(event)
    metrics.observe_events([(event.action, event.outcome)])
    return event


def _insert(event: Event) -> None:
    """``event.save(force_insert=True)`` in one precompiled statement (apps.core.rows): every
    token request and login writes an event, and compiling the ORM's INSERT cost more than
    running it. The row is the same; should anything ever listen to an event's save signals,
    the ORM's save runs instead so they are still sent."""
    if pre_save.has_listeners(Event) or post_save.has_listeners(Event):
        event.save(force_insert=True)
    else:
        rows.insert(event)


# From this many events on, PostgreSQL gets them through COPY (bulk writers: the CSV import).
COPY_THRESHOLD = 100


def record_events(events: list[Event]) -> None:
    """Record several events built with :func:`build_event` in one statement (hot paths: login,
    the CSV import). The events' primary keys are not set afterwards."""
    if len(events) >= COPY_THRESHOLD and connection.vendor == "postgresql":
        _copy_events(events)
    else:
        Event.objects.bulk_create(events)
    metrics.observe_events((event.action, event.outcome) for event in events)


def _copy_events(events: list[Event]) -> None:
    # An INSERT of 1,000 events binds 14,000 parameters that Django prepares one by one and
    # psycopg sends as text; COPY streams the rows and is several times faster. The values
    # are prepared by the model fields exactly as an INSERT would prepare them.
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(Event._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for event in events:
            event.created = event.created or now  # auto_now_add, which COPY does not apply
            copy.write_row([f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields])


PURGE_BATCH = 10_000


def purge_expired_events(*, now=None, batch_size: int = PURGE_BATCH) -> int:
    """Delete events older than ARKID_AUDIT_RETENTION_DAYS (0 keeps everything).

    A year of logins is tens of millions of rows: one DELETE would hold one huge transaction
    (locks, WAL, a long rollback if interrupted). Rows go in batches of ``batch_size``, each
    its own transaction, so an interrupted run keeps what it deleted and the next run (the
    task is idempotent) simply continues. One ``audit.purged`` event records the total.
    """
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted = 0
    while True:
        batch = _purge_batch(cutoff, batch_size)
        deleted += batch
        if batch < batch_size:
            break
    if deleted:
        record_event(Action.AUDIT_PURGED, actor_name="system", detail={"deleted": deleted, "before": cutoff})
    logger.info("audit purge removed %s events older than %s", deleted, cutoff.isoformat())
    return deleted


@transaction.atomic
def _purge_batch(cutoff: dt.datetime, batch_size: int) -> int:
    # One DELETE ... WHERE id IN (SELECT id ... LIMIT n): portable (PostgreSQL and SQLite have
    # no DELETE ... LIMIT in common), index-served, and no ids travel through Python.
    expired = Event.objects.filter(created__lt=cutoff).order_by().values("id")[:batch_size]
    return Event.objects.filter(id__in=expired).delete()[0]
