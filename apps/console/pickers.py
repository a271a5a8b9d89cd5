"""Async user and group pickers: search-as-you-type over what the actor manages.

A picker is a fieldset (``console/_picker.html``) of checkboxes named after the form field;
typing asks these views for at most ``LIMIT`` matches (htmx), ticking one moves it to the
selected list (``console.js``). Candidates come from the actor's manage scope, so a
sub-administrator can neither pick nor even discover a user or group outside it. Nothing
loads a whole collection: one indexed, limited query per keystroke (debounced).
"""

from __future__ import annotations

from django.db.models import Q
from django.views.decorators.http import require_GET

from apps.console.web import console_view, keyword_of, render_console
from apps.directory import scope as directory_scope
from apps.directory.models import GroupType

LIMIT = 20
FIELD_MAX = 40


def _field(params) -> str:
    field = (params.get("field") or "").strip()[:FIELD_MAX]
    return field if field.replace("_", "").isalnum() else "selected"


def matching_users(actor, keyword: str, *, limit: int = LIMIT):
    users = directory_scope.manageable_users(actor)
    if keyword:
        users = users.filter(
            Q(username__icontains=keyword)
            | Q(name__icontains=keyword)
            | Q(email__icontains=keyword)
            | Q(mobile__icontains=keyword)
        )
    return users.order_by("username", "id")[:limit]


def matching_groups(actor, keyword: str, type_key: str = "", *, limit: int = LIMIT):
    groups = directory_scope.manageable_groups(actor).filter(parent__isnull=False)  # type roots are not pickable
    if type_key:
        groups = groups.filter(type__key=type_key)
    if keyword:
        groups = groups.filter(Q(name__icontains=keyword) | Q(uid__icontains=keyword))
    return groups.select_related("type", "parent").order_by("name", "id")[:limit]


@require_GET
@console_view()
def users_view(request):
    keyword = keyword_of(request.GET)
    options = [(u.username, u.name or u.username, u.username) for u in matching_users(request.user, keyword)]
    context = {"options": options, "field": _field(request.GET), "q": keyword}
    return render_console(request, "console/_picker_results.html", context)


@require_GET
@console_view()
def groups_view(request):
    keyword = keyword_of(request.GET)
    type_key = (request.GET.get("type") or "").strip()[: GroupType._meta.get_field("key").max_length]
    options = [
        (g.node_uid, g.name, f"{g.type.name} · {g.parent.name}" if g.parent else g.type.name)
        for g in matching_groups(request.user, keyword, type_key)
    ]
    context = {"options": options, "field": _field(request.GET), "q": keyword}
    return render_console(request, "console/_picker_results.html", context)
