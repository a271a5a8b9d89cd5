"""Contacts (通讯录): group types, trees expanded one level at a time (htmx), members,
search and colleague cards, every read filtered by the directory's visibility rules."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404

from apps.directory.queries import groups as group_queries
from apps.directory.visibility import NodeState
from apps.portal import queries
from apps.portal.web import render_page


def _group(node_uid: str):
    return group_queries.resolve_node_uid(node_uid)  # 404 for an unknown or malformed uid


@login_required
def contacts_view(request):
    """Tabs per group type with the first tree level, or search results when ``q`` is given."""
    types = list(queries.group_types())
    current = queries.group_type(request.GET.get("type", "")) or (types[0] if types else None)
    keyword = queries.keyword_of(request.GET)
    context = {"tab": "contacts", "types": types, "current": current, "q": keyword}
    if keyword:
        context["results"] = queries.search_colleagues(request.user, keyword, request.GET)
    elif current is not None:
        context["children_page"], context["children"] = queries.visible_children(
            request.user, current.root, request.GET
        )
    return render_page(request, "portal/contacts.html", context)


@login_required
def children_view(request, node_uid: str):
    """One more tree level under a node (an htmx fragment; a full page without JavaScript)."""
    group = _group(node_uid)
    if queries.node_state(request.user, group) == NodeState.HIDDEN:
        raise Http404
    page, children = queries.visible_children(request.user, group, request.GET)
    return render_page(
        request, "portal/_tree_level.html", {"parent": group, "children_page": page, "children": children}
    )


@login_required
def members_view(request, node_uid: str):
    group = _group(node_uid)
    state = queries.node_state(request.user, group)
    if state == NodeState.HIDDEN:
        raise Http404
    page = queries.members(request.user, group, request.GET)
    context = {"tab": "contacts", "group": group, "page": page, "name_only": page is None}
    return render_page(request, "portal/members.html", context)


@login_required
def colleague_view(request, username: str):
    found = queries.colleague(request.user, username)
    if found is None:
        raise Http404
    other, groups = found
    return render_page(request, "portal/colleague.html", {"tab": "contacts", "other": other, "groups": groups})
