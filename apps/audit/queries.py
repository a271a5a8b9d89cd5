"""Reading the audit log. Only administrators may read it; every read names its actor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.models import Action, Event


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


def _ensure_can_read(actor) -> None:
    if not (actor is not None and getattr(actor, "is_active", False) and getattr(actor, "is_admin", False)):
        raise PermissionDenied("only administrators may read the audit log")


def _actions_labelled(keyword: str) -> list[str]:
    """Action values whose human label contains the keyword (labels are not stored per row)."""
    lowered = keyword.lower()
    return [value for value, label in Action.choices if lowered in str(label).lower()]


def list_events(actor, filters: EventFilter | None = None) -> QuerySet[Event]:
    _ensure_can_read(actor)
    filters = filters or EventFilter()
    events = Event.objects.all()
    if filters.actions:
        events = events.filter(action__in=filters.actions)
    for name in filters.actor_names:
        events = events.filter(actor_name__iexact=name)
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
