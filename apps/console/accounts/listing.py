"""The account list: the directory's user filters (the API's ``list_users``) over the actor's
scope, sorted and paged on the server; CSV export of the same filter; bulk delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.console.accounts.forms import PARAM_FIELDS, FilterForm, directory_params
from apps.console.web import console_view, paginate, query_without, render_console, sort_queryset
from apps.core.exceptions import DomainError
from apps.directory import csv_io
from apps.directory import scope as directory_scope
from apps.directory.actions import users as user_actions
from apps.directory.models import Membership
from apps.directory.queries import groups as group_queries
from apps.directory.queries import users as user_queries

SORTS = {"username": "username", "name": "name", "created": "created", "last_active": "last_active_time"}
GROUP_PICKS_MAX = 20
SECTION = "accounts"


def picked_groups(params) -> list[str]:
    return [uid.strip() for uid in params.getlist("group") if uid.strip()][:GROUP_PICKS_MAX]


def _picker_selection(actor, node_uids: list[str]) -> list[tuple[str, str, str]]:
    """The picked groups as the picker shows them, only those the actor may manage."""
    if not node_uids:
        return []
    groups, _missing = group_queries.resolve_node_uids(node_uids)
    inside = [g for g in groups if directory_scope.can_manage_group(actor, g)]
    return [(g.node_uid, g.name, g.type.name) for g in inside]


def with_group_names(users):
    """The page's memberships in one prefetch, with only what the Groups column shows."""
    memberships = Membership.objects.select_related("group").only("user_id", "group__name").order_by("group_id")
    return users.prefetch_related(Prefetch("memberships", queryset=memberships, to_attr="listed_memberships"))


def filtered_users(actor, params) -> tuple[FilterForm, object | None]:
    """(the bound filter form, the filtered queryset or None when the input is bad). Bad input
    becomes field errors on the form, never a 500."""
    form = FilterForm(params)
    if not form.is_valid():
        return form, None
    try:
        users = user_queries.list_users(actor, directory_params(form, picked_groups(params)))
    except ValidationError as exc:
        for param, messages_ in exc.message_dict.items():
            form.add_error(PARAM_FIELDS.get(param), messages_)
        return form, None
    role = form.cleaned_data.get("role")
    if role:  # the one filter the directory's list lacks: a plain column test
        users = users.filter(is_admin=role == "admin")
    return form, users


def render_list(request, params, *, bulk_error: str = ""):
    form, users = filtered_users(request.user, params)
    page, sort = None, ""
    if users is not None:
        users, sort = sort_queryset(users, params, SORTS, "username")
        page = paginate(with_group_names(users), params)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "bulk_error": bulk_error,
        "selected_groups": _picker_selection(request.user, picked_groups(params)),
        "query_keep": query_without(params, "page"),
        "query_nosort": query_without(params, "page", "sort"),
        "can_create": request.scope.holds("system_user_create"),
        "can_import": request.scope.is_admin,
    }
    status = 400 if page is None or bulk_error else 200
    return render_console(request, "console/accounts/list.html", context, section=SECTION, status=status)


@require_GET
@console_view()
def list_view(request):
    return render_list(request, request.GET)


@require_GET
@console_view()
def export_view(request):
    """The current filter as CSV (the directory's export columns), audited like the API's."""
    form, users = filtered_users(request.user, request.GET)
    if users is None:
        return render_list(request, request.GET)
    users, _sort = sort_queryset(users, request.GET, SORTS, "username")
    filters = directory_params(form, picked_groups(request.GET))
    if form.cleaned_data.get("role"):
        filters["role"] = form.cleaned_data["role"]
    record_event(Action.USERS_EXPORTED, actor=request.user, detail={"count": users.count(), "filters": filters})
    response = StreamingHttpResponse(csv_io.export_lines(users), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="users-{stamp}.csv"'
    return response


@require_POST
@console_view()
def bulk_delete_view(request):
    """All or nothing, like the API's ``slice/delete/``: one user out of reach refuses all.
    ``back`` carries the list's query string, so the list comes back as it was."""
    params = QueryDict(request.POST.get("back", "")[:2000])
    usernames = [name for name in request.POST.getlist("users") if name.strip()]
    if not usernames:
        return render_list(request, params, bulk_error=_("Tick the accounts to delete first."))
    try:
        users, unknown = user_queries.access_users_by_username(request.user, usernames, for_write=True)
        if unknown:
            unknown_text = _("Unknown accounts or outside your scope: %(names)s.")
            raise ValidationError(unknown_text % {"names": ", ".join(unknown)})
        with transaction.atomic():
            count = user_actions.bulk_delete_users(users, actor=request.user)
    except (ValidationError, DomainError) as exc:
        text = exc.message if isinstance(exc, DomainError) else " ".join(exc.messages)
        return render_list(request, params, bulk_error=_("Nothing was deleted: %(reason)s") % {"reason": text})
    messages.success(request, _("%(n)d accounts deleted.") % {"n": count})
    response = redirect("console-accounts")
    query = params.urlencode()  # re-encoded: nothing but a query string reaches the header
    if query:
        response["Location"] += "?" + query
    return response
