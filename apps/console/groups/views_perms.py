"""A group's permissions: every permission the actor manages (a sub-administrator: those of
their apps), with the group's own status, what it resolves to and, when inherited, the
ancestor it comes from. Setting a status goes through the permissions app's action."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.console.groups import reads
from apps.console.groups.forms import PermStatusForm
from apps.console.groups.views_node import ACTION_ERRORS, SECTION, node_context
from apps.console.web import console_view, keyword_of, paginate, query_without, render_console
from apps.directory.queries import groups as group_queries
from apps.permissions.actions import statuses as status_actions
from apps.permissions.queries import perms as perm_queries


def _page(request, group, *, errors=(), status=200):
    keyword = keyword_of(request.GET)
    page = paginate(perm_queries.list_perms(request.user, perm_queries.PermFilters(name=keyword)), request.GET)
    extra = query_without(request.GET, "page", "q")
    context = node_context(request, group, "perms")
    context.update(
        {
            "page": page,
            "rows": reads.perm_rows(request.user, request.scope, group, list(page.object_list)),
            "q": keyword,
            "extra_query": f"{extra}&" if extra else "",
            "errors": list(errors),
        }
    )
    return render_console(request, "console/groups/perms.html", context, section=SECTION, status=status)


@require_http_methods(["GET", "POST"])
@console_view()
def perms_view(request, node_uid: str):
    group = group_queries.access_group(request.user, node_uid, for_write=request.method == "POST")
    if request.method == "GET":
        return _page(request, group)
    form = PermStatusForm(request.POST)
    if not form.is_valid():
        return _page(request, group, errors=[_("Choose grant, deny or inherit.")], status=400)
    found, _missing = perm_queries.resolve_perm_uids(request.user, [form.cleaned_data["perm"]])
    perm = found.get(form.cleaned_data["perm"])
    if perm is None:  # unknown, or an app the sub-administrator does not manage
        raise Http404
    try:
        status_actions.set_group_perm_statuses(group, [(perm, form.cleaned_data["status"])], actor=request.user)
    except ACTION_ERRORS as exc:
        return _page(request, group, errors=getattr(exc, "messages", [str(exc)]), status=400)
    messages.success(request, _("“%(perm)s” was saved.") % {"perm": perm.name})
    back = query_without(request.POST, "perm", "status", "csrfmiddlewaretoken")
    return redirect(f"{request.path}?{back}" if back else request.path)
