"""A user's app permissions with their sources: for each permission the actor manages, the
user's own status, the result and what decided it (``apps.permissions.engine.explain``); the
own status is set per permission through the permissions actions."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.console.web import console_view, keyword_of, paginate, query_without, render_console
from apps.core.exceptions import DomainError
from apps.directory import scope as directory_scope
from apps.permissions import engine
from apps.permissions.actions import statuses as status_actions
from apps.permissions.queries import perms as perm_queries

SECTION = "accounts"
STATUS_FIELD = "status:"  # POST keys are "status:<perm uid>"


def _rows(user, page) -> list[dict]:
    """One explanation per permission on the page (a page is at most 100 permissions)."""
    return [{"perm": perm, **engine.explain(user, perm)} for perm in page]


def _submitted(request) -> list[tuple[str, str]]:
    return [(key[len(STATUS_FIELD) :], value) for key, value in request.POST.items() if key.startswith(STATUS_FIELD)]


@require_http_methods(["GET", "POST"])
@console_view()
def perms_view(request, username: str):
    writing = request.method == "POST"
    user = perm_queries.get_user(request.user, username, for_write=writing)
    error = ""
    if writing:
        try:
            changed = _save(request, user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("%(n)d permission statuses changed.") % {"n": changed})
            query = query_without(request.GET)
            return redirect(request.path + (f"?{query}" if query else ""))
    keyword = keyword_of(request.GET)
    perms = perm_queries.list_perms(request.user, perm_queries.PermFilters(name=keyword))
    page = paginate(perms, request.GET)
    context = {
        "account": user,
        "page": page,
        "rows": _rows(user, page),
        "q": keyword,
        "query_keep": query_without(request.GET, "page"),
        "can_change": directory_scope.can_change_user(request.user, user),
        "error": error,
    }
    return render_console(
        request, "console/accounts/perms.html", context, section=SECTION, status=400 if error else 200
    )


def _save(request, user) -> int:
    """Statuses for permissions the actor manages; an unknown or foreign uid refuses all."""
    submitted = _submitted(request)
    found, missing = perm_queries.resolve_perm_uids(request.user, [uid for uid, _value in submitted])
    if missing:
        raise DomainError(_("Unknown permissions: %(uids)s.") % {"uids": ", ".join(missing[:10])}, field="status")
    entries = [(found[uid], status_actions.clean_status(value)) for uid, value in submitted]
    return len(status_actions.set_user_perm_statuses(user, entries, actor=request.user))
