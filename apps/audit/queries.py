"""Reading the audit log. Only administrators may read it; every read names its actor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.models import Action, Event
from apps.core.permissions import manage_scope


@dataclass(frozen=True)
class EventFilter:
    """Validated filters for :func:`list_events`; empty values mean "no filter"."""

    actions: tuple[str, ...] = ()
    actor_names: tuple[str, ...] = ()
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # inclusive
    keyword: str = ""
    outcome: str = ""
    ip: str = ""

    @property
    def narrows(self) -> bool:
        """Whether any filter is set (an unfiltered list may show an estimated count)."""
        return any((self.actions, self.actor_names, self.since, self.until, self.keyword, self.outcome, self.ip))


def _ensure_can_read(actor) -> None:
    """Administrators, and sub-administrators holding ``system_log_read`` (the scope provider
    registered in core by the directory knows who holds it)."""
    if not (actor is not None and getattr(actor, "is_active", False)):
        raise PermissionDenied("only administrators may read the audit log")
    if getattr(actor, "is_admin", False):
        return
    scope = manage_scope(actor)
    if scope is None or not scope.is_manager or not scope.holds("system_log_read"):
        raise PermissionDenied("only administrators and holders of system_log_read may read the audit log")


def _actions_labelled(keyword: str) -> list[str]:
    """Action values whose human label contains the keyword (labels are not stored per row)."""
    lowered = keyword.lower()
    return [value for value, label in Action.choices if lowered in str(label).lower()]


def _actor_q(username: str) -> Q:
    """Events by the user called ``username`` (lower case, as usernames are stored).

    A current user is matched by id, which the (actor, -created) index serves; a name with no
    current user (a deleted user, ``system``) by the exact snapshot, served by the
    (actor_name, -created) index. Never UPPER(actor_name): no index helps that on PostgreSQL.
    """
    user_model = Event._meta.get_field("actor").related_model  # no import of the directory layer
    ids = list(user_model._default_manager.filter(username=username).values_list("pk", flat=True)[:2])
    return Q(actor_id__in=ids) if ids else Q(actor_name=username)


def list_events(actor, filters: EventFilter | None = None) -> QuerySet[Event]:
    _ensure_can_read(actor)
    filters = filters or EventFilter()
    events = Event.objects.all()
    if filters.actions:
        events = events.filter(action__in=filters.actions)
    for name in filters.actor_names:
        events = events.filter(_actor_q(name))
    if filters.since is not None:
        events = events.filter(created__gte=filters.since)
    if filters.until is not None:
        events = events.filter(created__lte=filters.until)
    if filters.keyword:
        keyword = filters.keyword
        matches = Q(target_name__icontains=keyword) | Q(actor_name__icontains=keyword) | Q(action__icontains=keyword)
        labelled = _actions_labelled(keyword)
        if labelled:
            matches |= Q(action__in=labelled)
        events = events.filter(matches)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.ip:
        events = events.filter(ip=filters.ip)
    return events.order_by("-created", "-id")


def get_event(actor, event_uuid) -> Event:
    """The event with this uuid; ``Event.DoesNotExist`` if there is none."""
    _ensure_can_read(actor)
    return Event.objects.get(uuid=event_uuid)


def days_ago(days: int, *, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=days)


def count_events(events: QuerySet[Event], *, narrowed: bool, cap: int) -> tuple[int, bool]:
    """``(count, is_estimate)`` for ``events``, never counting more than ``cap`` rows.

    COUNT(*) over tens of millions of rows takes seconds, on every page. An unfiltered list on
    PostgreSQL uses the planner's row estimate (pg_class.reltuples, refreshed by autovacuum)
    once the table is larger than ``cap``; anything else counts at most ``cap + 1`` rows and
    answers ``cap`` (an estimate) when there are more.
    """
    if not narrowed:
        estimate = _estimated_table_rows()
        if estimate is not None and estimate > cap:
            return estimate, True
    capped = events.order_by()[: cap + 1].count()
    return (cap, True) if capped > cap else (capped, False)


def _estimated_table_rows() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Event._meta.db_table])
        row = cursor.fetchone()
    # -1 (never analysed) or 0 means "unknown": fall back to a capped count.
    return row[0] if row and row[0] > 0 else None
