"""In-app permissions of an app: the list (access and custom), create, rename, delete; per
permission its white/black list (explicit grants and denials of users and groups, set in
bulk with the pickers) and its result list (who holds it, and why).

Everything goes through :mod:`apps.permissions.queries.perms` (a permission of an app outside
the actor's scope is a 404; owners outside it are neither listed nor settable) and the
permission actions (which audit and bump the permission caches).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from apps.console.applications.forms import OwnersForm, PermissionForm, RenamePermissionForm
from apps.console.applications.paging import peek_paginate
from apps.console.web import console_view, keyword_of, paginate, query_without, render_console
from apps.core.exceptions import DomainError
from apps.directory.queries.groups import resolve_node_uids, resolve_usernames
from apps.directory.scope import require_groups_in_scope, require_users_in_scope
from apps.permissions import engine
from apps.permissions.actions import perms as perm_actions
from apps.permissions.actions import statuses as status_actions
from apps.permissions.models import Permission
from apps.permissions.queries import apps as app_queries
from apps.permissions.queries import perms as perm_queries
from apps.portal.web import errors_into_form

SECTION = "apps"
STATUS_FILTERS = {"grant": 1, "deny": -1}


def _render(request, template: str, context: dict, status: int = 200):
    return render_console(request, f"console/applications/{template}", context, section=SECTION, status=status)


def _app_perm(request, uid: str, perm_uid: str):
    """The app and one of its permissions, both in the actor's scope (else 404)."""
    app = app_queries.access_app(request.user, uid)
    perm = perm_queries.get_perm(request.user, perm_uid)
    if perm.app_id != app.pk:
        raise Http404("No such permission.")
    return app, perm


def _perms_page(request, app, form, status: int = 200):
    keyword = keyword_of(request.GET)
    perms = perm_queries.list_perms(request.user, perm_queries.PermFilters(scope=app.uid, name=keyword))
    context = {
        "app": app,
        "page": paginate(perms, request.GET),
        "q": keyword,
        "form": form,
        "pager_query": query_without(request.GET, "page"),
    }
    return _render(request, "perms.html", context, status=status)


@require_http_methods(["GET", "POST"])
@console_view()
def perms_view(request, uid: str):
    app = app_queries.access_app(request.user, uid)
    if request.method == "POST":
        form = PermissionForm(request.POST)
        if form.is_valid():
            try:
                perm = perm_actions.create_permission(
                    actor=request.user,
                    app=app,
                    name=form.cleaned_data["name"],
                    action=form.cleaned_data["action"] or None,
                )
            except (ValidationError, DomainError) as exc:
                errors_into_form(form, exc)
            else:
                messages.success(request, pgettext("console apps", "Permission %(uid)s created.") % {"uid": perm.uid})
                return redirect("console-app-perms", uid=app.uid)
        return _perms_page(request, app, form, status=400)
    return _perms_page(request, app, PermissionForm())


@require_POST
@console_view()
def perm_rename_view(request, uid: str, perm_uid: str):
    app, perm = _app_perm(request, uid, perm_uid)
    form = RenamePermissionForm(request.POST)
    if form.is_valid():
        try:
            perm_actions.rename_permission(perm, form.cleaned_data["name"], actor=request.user)
        except (ValidationError, DomainError) as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, pgettext("console apps", "Permission renamed."))
            return redirect("console-app-perm", uid=app.uid, perm_uid=perm.uid)
    return _owners_page(request, app, perm, OwnersForm(), rename_form=form, status=400)


@require_POST
@console_view()
def perm_delete_view(request, uid: str, perm_uid: str):
    app, perm = _app_perm(request, uid, perm_uid)
    try:
        perm_actions.delete_permission(perm, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console-app-perm", uid=app.uid, perm_uid=perm.uid)
    messages.success(request, pgettext("console apps", "Permission %(uid)s deleted.") % {"uid": perm_uid})
    return redirect("console-app-perms", uid=app.uid)


def _status_filter(params) -> tuple[str, int | None]:
    key = params.get("status") or ""
    return (key, STATUS_FILTERS[key]) if key in STATUS_FILTERS else ("", None)


def _owners_page(request, app, perm, form, *, rename_form=None, status: int = 200):
    status_key, status_value = _status_filter(request.GET)
    rows = perm_queries.owner_statuses(request.user, perm, perm_queries.OWNER_ALL, status_value)
    page = peek_paginate(rows, request.GET)  # for a sub-administrator, a scope filter on every row
    owners = [perm_queries.describe_owner(row) for row in page.object_list]
    context = {
        "app": app,
        "perm": perm,
        "tab": "owners",
        "page": page,
        "owners": owners,
        "status_filter": status_key,
        "pager_query": query_without(request.GET, "page"),
        "form": form,
        "rename_form": rename_form or RenamePermissionForm(initial={"name": perm.name}),
        "editable": perm.kind == Permission.Kind.CUSTOM,
        "picked_users": _picked(form, "users"),
        "picked_groups": _picked(form, "groups"),
    }
    return _render(request, "perm.html", context, status=status)


def _picked(form, field: str) -> list[tuple[str, str, str]]:
    """Keep what was picked when the form comes back with errors (values only: the labels of
    a rejected pick are not looked up, so nothing outside the scope is revealed)."""
    if not form.is_bound:
        return []
    return [(value, value, "") for value in form.data.getlist(field)[:100]]


def _resolve_owners(actor, usernames: list[str], node_uids: list[str]):
    """The users and groups named, all existing and in the actor's scope; ValidationError
    (worded like "unknown", so nothing outside the scope is revealed) otherwise."""
    users, missing_users = resolve_usernames(usernames)
    if missing_users:
        raise ValidationError(
            {"users": [pgettext("console apps", "Unknown users: %(names)s.") % {"names": ", ".join(missing_users)}]}
        )
    groups, missing_groups = resolve_node_uids(node_uids)
    if missing_groups:
        raise ValidationError(
            {"groups": [pgettext("console apps", "Unknown groups: %(uids)s.") % {"uids": ", ".join(missing_groups)}]}
        )
    # The API's rule (apps.permissions.api.perms.check_owner_scope): users the actor may
    # change and groups in their scope; administrators reach everyone.
    require_users_in_scope(actor, users, field="users", for_write=True)
    require_groups_in_scope(actor, groups, field="groups")
    return users, groups


@require_http_methods(["GET", "POST"])
@console_view()
def perm_view(request, uid: str, perm_uid: str):
    """The white/black list; POST bulk-sets one status for the picked owners."""
    app, perm = _app_perm(request, uid, perm_uid)
    if request.method == "GET":
        return _owners_page(request, app, perm, OwnersForm())
    form = OwnersForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            users, groups = _resolve_owners(request.user, data["users"], data["groups"])
            changes = status_actions.set_statuses(
                perm,
                actor=request.user,
                user_statuses=[(user, data["status"]) for user in users],
                group_statuses=[(group, data["status"]) for group in groups],
            )
        except (ValidationError, DomainError) as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, pgettext("console apps", "%(n)d owner(s) changed.") % {"n": len(changes)})
            return redirect("console-app-perm", uid=app.uid, perm_uid=perm.uid)
    return _owners_page(request, app, perm, form, status=400)


@require_http_methods(["GET"])
@console_view()
def holders_view(request, uid: str, perm_uid: str):
    """Who holds the permission (the engine's result, narrowed to the actor's scope), each
    with their own status and the group statuses that apply to them."""
    app, perm = _app_perm(request, uid, perm_uid)
    keyword = keyword_of(request.GET)
    users = perm_queries.scoped_holders(request.user, engine.holders(perm, keyword=keyword))
    page = peek_paginate(users, request.GET)  # no COUNT(*): see paging.py
    listed = page.object_list
    sources = engine.sources_for(perm, listed)
    context = {
        "app": app,
        "perm": perm,
        "tab": "holders",
        "page": page,
        "rows": [(user, sources[user.pk]) for user in listed],
        "q": keyword,
        "allow_any": engine.allows_any_user(perm),
        "pager_query": query_without(request.GET, "page"),
    }
    return _render(request, "holders.html", context)
