"""The audit log (审计日志): filters, pages that never count the whole table, and one
event's detail (IP, user agent, request id, changes as stored: secrets were masked before
storage). Readers are administrators and holders of ``system_log_read``;
:mod:`apps.audit.queries` decides what each may read, the console only asks it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from apps.audit import queries
from apps.audit.models import Event
from apps.audit.pagination import COUNT_CAP
from apps.console.audit.forms import EventFilterForm, action_choices, action_label, outcome_label
from apps.console.web import MAX_PAGE_SIZE, PAGE_SIZE, console_view, query_without, render_console

PERM = "system_log_read"
SECTION = "audit"


@dataclass
class EventPage:
    """One page of events read with LIMIT size + 1 (so "next" needs no count); the count is
    exact on the last page, otherwise capped or estimated by :func:`queries.count_events`."""

    rows: list
    number: int
    has_next: bool
    count: int
    count_is_estimate: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def page_of_events(events, params, *, narrowed: bool) -> EventPage:
    size = _int(params.get("size"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
    number = _int(params.get("page"), 1, 1, 10**6)
    offset = (number - 1) * size
    rows = list(events[offset : offset + size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    if has_next:
        count, estimate = queries.count_events(events, narrowed=narrowed, cap=COUNT_CAP)
        count = max(count, offset + len(rows) + 1)  # never fewer than the rows already seen
    else:
        count, estimate = offset + len(rows), False
    return EventPage(rows, number, has_next, count, estimate)


def action_options(selected: str) -> str:
    """The action select's ~90 options as HTML (escaped here): rendering them through the
    widget's per-option templates was most of the page's time."""

    def option(value, label) -> str:
        chosen = " selected" if value == selected else ""
        return format_html('<option value="{}"{}>{}</option>', value, mark_safe(chosen), label)  # noqa: S308

    parts = []
    for value, label in action_choices():
        if isinstance(label, list | tuple):
            inner = mark_safe("".join(option(v, text) for v, text in label))  # noqa: S308 - escaped above
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', value, inner))
        else:
            parts.append(option(value, label))
    return mark_safe("".join(parts))  # noqa: S308 - every part was built by format_html


@require_GET
@console_view(PERM)
def list_view(request):
    form = EventFilterForm(request.GET or None)
    status = 200
    if request.GET and not form.is_valid():
        page, status = EventPage([], 1, False, 0, False), 400
    else:
        filters = form.to_filter() if form.is_bound else queries.EventFilter()
        try:
            events = queries.list_events(request.user, filters)
        except PermissionDenied:
            return render_console(request, "console/forbidden.html", section=SECTION, status=403)
        page = page_of_events(events, request.GET, narrowed=filters.narrows)
        for event in page.rows:
            event.label = action_label(event.action)
    kept = query_without(request.GET, "page")
    context = {
        "form": form,
        "page": page,
        "page_query": f"{kept}&" if kept else "",
        "action_options": action_options(request.GET.get("action", "")),
    }
    return render_console(request, "console/audit/list.html", context, section=SECTION, status=status)


def _shown(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _change_row(field: str, values) -> tuple[str, str, str]:
    """(field, before, after); a value not in the ``[before, after]`` shape shows whole."""
    if isinstance(values, list | tuple) and len(values) == 2:
        return field, _shown(values[0]), _shown(values[1])
    return field, "", _shown(values)


@require_GET
@console_view(PERM)
def detail_view(request, event_uuid):
    try:
        event = queries.get_event(request.user, event_uuid)
    except (Event.DoesNotExist, ValidationError):
        raise Http404 from None
    except PermissionDenied:
        return render_console(request, "console/forbidden.html", section=SECTION, status=403)
    event.label, event.outcome_label = action_label(event.action), outcome_label(event.outcome)
    context = {
        "event": event,
        "changes": [_change_row(field, values) for field, values in sorted((event.changes or {}).items())],
        "detail": json.dumps(event.detail, ensure_ascii=False, indent=2, sort_keys=True) if event.detail else "",
        # The list's filters, re-encoded: only a query string for our own list page, never a URL.
        "back": QueryDict(request.GET.get("back", "")[:2000]).urlencode(),
    }
    return render_console(request, "console/audit/detail.html", context, section=SECTION)
