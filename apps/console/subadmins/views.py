"""Sub-administrators (子管理员): manager groups with their members, scope, base system
permissions and manageable apps. Administrators only (a sub-administrator must never widen
their own scope), like the API's ``manager_group/``. Input is resolved by the same parser as
the API and written through :mod:`apps.permissions.actions.manager_groups`, which validates
and audits.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.console.subadmins.forms import PERM_LABELS, SCOPE_LABELS, ManagerGroupForm
from apps.console.web import console_view, keyword_of, paginate, query_without, render_console, sort_queryset
from apps.core.exceptions import DomainError
from apps.directory.queries.groups import resolve_node_uids, resolve_usernames
from apps.permissions.actions import manager_groups as actions
from apps.permissions.api.manager_groups import parse_body, with_relations
from apps.permissions.models import App, ManagerGroup

SECTION = "subadmins"
PICKERS = ("members", "member_nodes", "users", "nodes", "apps")
SORTS = {"name": "name", "uid": "uid", "members": "member_count"}
APP_PICKER_LIMIT = 20


def admin_only(view):
    """``console_view`` for an administrators' area (the menu hides it from sub-administrators,
    ``nav.ADMIN_ONLY``; the views refuse them with the 403 page)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.scope.is_admin:
            return render_console(request, "console/forbidden.html", section=SECTION, status=403)
        return view(request, *args, **kwargs)

    return console_view()(wrapped)


@require_GET
@admin_only
def list_view(request):
    keyword = keyword_of(request.GET)
    groups = ManagerGroup.objects.annotate(member_count=Count("member_users", distinct=True))
    if keyword:
        groups = groups.filter(Q(name__icontains=keyword) | Q(uid__icontains=keyword))
    groups, sort = sort_queryset(groups, request.GET, SORTS, "name")
    page = paginate(groups.prefetch_related("perms"), request.GET)
    context = {
        "page": page,
        "q": keyword,
        "sort": sort,
        "sort_query": query_without(request.GET, "sort", "page"),
        "extra_query": _pager_query(request),
        "scope_labels": SCOPE_LABELS,
        "perm_labels": PERM_LABELS,
    }
    return render_console(request, "console/subadmins/list.html", context, section=SECTION)


def _selected(kind: str, objects) -> list[tuple[str, str, str]]:
    """Picker entries (value, label, detail) for already chosen objects."""
    if kind in ("members", "users"):
        return [(u.username, u.name or u.username, u.username) for u in objects]
    if kind in ("member_nodes", "nodes"):
        return [(g.node_uid, g.name, g.type.name) for g in objects]
    return [(a.uid, a.name, a.uid) for a in objects]


def _selected_from_group(group: ManagerGroup) -> dict:
    return {
        "members": _selected("members", group.member_users.all()),
        "member_nodes": _selected("member_nodes", group.member_groups.all()),
        "users": _selected("users", group.scope_users.all()),
        "nodes": _selected("nodes", group.scope_groups.all()),
        "apps": _selected("apps", group.apps.all()),
    }


def _selected_from_post(post) -> dict:
    """What the admin had ticked, re-shown after an error (unknown values are dropped and
    reported by the parser)."""
    values = {key: post.getlist(key)[:1000] for key in PICKERS}
    return {
        "members": _selected("members", resolve_usernames(values["members"])[0]),
        "member_nodes": _selected("member_nodes", resolve_node_uids(values["member_nodes"])[0]),
        "users": _selected("users", resolve_usernames(values["users"])[0]),
        "nodes": _selected("nodes", resolve_node_uids(values["nodes"])[0]),
        "apps": _selected("apps", App.objects.filter(uid__in=values["apps"]).order_by("name")),
    }


def _body(form: ManagerGroupForm, post) -> dict:
    data = {key: value for key, value in form.cleaned_data.items() if key != "uid"}
    for key in PICKERS:
        data[key] = post.getlist(key)
    return data


def _apply_errors(form: ManagerGroupForm, picker_errors: dict, exc: Exception) -> None:
    """Field errors of the parser or the action: plain fields inline in the form, picker keys
    (and the action's relation names) next to their picker; the rest at the form's top."""
    relation_to_key = {"member_users": "members", "member_groups": "member_nodes", "scope_users": "users"}
    relation_to_key |= {"scope_groups": "nodes"}
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]}
    elif isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        errors = exc.message_dict
    else:
        errors = {None: getattr(exc, "messages", [str(exc)])}
    for field, texts in errors.items():
        key = relation_to_key.get(field, field)
        if key in PICKERS:
            picker_errors.setdefault(key, []).extend(texts)
        else:
            form.add_error(key if key in form.fields else None, texts)


def _edit(request, group: ManagerGroup | None):
    creating = group is None
    picker_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = ManagerGroupForm(request.POST, creating=creating)
        selected = _selected_from_post(request.POST)
        if form.is_valid():
            try:
                fields = parse_body(_body(form, request.POST))
                if creating:
                    group = actions.create_manager_group(
                        actor=request.user, uid=form.cleaned_data.get("uid") or None, **fields
                    )
                else:
                    group = actions.update_manager_group(group, fields, actor=request.user)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, picker_errors, exc)
            else:
                messages.success(request, _("The sub-administrator group “%(name)s” was saved.") % {"name": group.name})
                return redirect("console-subadmins-edit", uid=group.uid)
    else:
        initial = {}
        if group is not None:
            initial = {
                "name": group.name,
                "remark": group.remark,
                "scope_subject": group.scope_subject,
                "perms": [p.uid for p in group.perms.all()],
            }
        form = ManagerGroupForm(initial=initial, creating=creating)
        selected = _selected_from_group(group) if group is not None else {key: [] for key in PICKERS}
    context = {"form": form, "group": group, "selected": selected, "picker_errors": picker_errors}
    status = 400 if form.errors or picker_errors else 200
    return render_console(request, "console/subadmins/edit.html", context, section=SECTION, status=status)


def _get(uid: str) -> ManagerGroup:
    group = with_relations(ManagerGroup.objects.filter(uid=uid)).first()
    if group is None:
        raise Http404
    return group


@require_http_methods(["GET", "POST"])
@admin_only
def create_view(request):
    return _edit(request, None)


@require_http_methods(["GET", "POST"])
@admin_only
def edit_view(request, uid: str):
    return _edit(request, _get(uid))


@require_POST
@admin_only
def delete_view(request, uid: str):
    group = _get(uid)
    actions.delete_manager_group(group, actor=request.user)
    messages.success(request, _("The sub-administrator group “%(name)s” was deleted.") % {"name": group.name})
    return redirect("console-subadmins")


@require_GET
@admin_only
def apps_picker_view(request):
    """Search-as-you-type over apps (name or uid), at most 20 matches per keystroke."""
    keyword = keyword_of(request.GET)
    apps = App.objects.all()
    if keyword:
        apps = apps.filter(Q(name__icontains=keyword) | Q(uid__icontains=keyword))
    options = [(a.uid, a.name, a.uid) for a in apps.order_by("name", "id")[:APP_PICKER_LIMIT]]
    context = {"options": options, "field": "apps", "q": keyword}
    return render_console(request, "console/_picker_results.html", context, section=SECTION)


def _pager_query(request) -> str:
    kept = query_without(request.GET, "page")
    return f"{kept}&" if kept else ""
