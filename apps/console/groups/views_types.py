"""Group types (分组类型): the built-in department, role and label trees and custom ones.

Administrators add, rename and delete custom types; a sub-administrator adds one with
``system_category_create`` (the action then makes them manage it). Renaming and deleting stay
with administrators, as in the API. The tree of each type is on its own page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.console.groups import reads
from apps.console.groups.forms import GroupTypeForm, RenameTypeForm
from apps.console.web import console_view, is_htmx, paginate, render_console
from apps.core.exceptions import DomainError
from apps.directory.actions import group_types as type_actions
from apps.directory.models import GroupType
from apps.directory.queries.groups import group_type_by_key
from apps.portal.web import errors_into_form

SECTION = "groups"
CREATE_CATEGORY = "system_category_create"
TYPES_PER_PAGE = 50


def _index(request, form=None, status=200):
    types = paginate(GroupType.objects.select_related("root").order_by("order", "id"), request.GET, TYPES_PER_PAGE)
    context = {
        "types": types,
        "form": form or GroupTypeForm(),
        "can_create": request.scope.holds(CREATE_CATEGORY),
    }
    return render_console(request, "console/groups/index.html", context, section=SECTION, status=status)


@require_GET
@console_view()
def index_view(request):
    return _index(request)


@require_POST
@console_view(CREATE_CATEGORY)
def type_create_view(request):
    form = GroupTypeForm(request.POST)
    if form.is_valid():
        try:
            group_type = type_actions.create_group_type(
                actor=request.user, name=form.cleaned_data["name"], key=form.cleaned_data["key"] or None
            )
        except (DomainError, ValidationError) as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("Group type “%(name)s” was created.") % {"name": group_type.name})
            return redirect("console-groups-tree", key=group_type.key)
    return _index(request, form, status=400)


@require_GET
@console_view()
def tree_view(request, key: str):
    """One type's tree, its first level only; deeper levels come with each expansion. A
    "More…" link (htmx) appends the next page of a wide level."""
    group_type = group_type_by_key(key)
    scope = request.scope
    page = paginate(reads.scope_tops(scope, group_type), request.GET)
    context = {
        "group_type": group_type,
        "children": page.object_list,
        "children_page": page,
        "more_url": request.path,
        "can_add_top": scope.is_admin,
        "append": is_htmx(request) and page.number > 1,
    }
    if context["append"]:
        return render_console(request, "console/groups/_tree_level.html", context, section=SECTION)
    return render_console(request, "console/groups/tree.html", context, section=SECTION)


def _forbidden(request):
    """Renaming and deleting types stay with administrators (as in the API)."""
    return render_console(request, "console/forbidden.html", {}, section=SECTION, status=403)


@require_http_methods(["GET", "POST"])
@console_view()
def type_edit_view(request, key: str):
    """Rename a custom type (administrators; the built-ins are refused by the action)."""
    if not request.scope.is_admin:
        return _forbidden(request)
    group_type = group_type_by_key(key)
    form = RenameTypeForm(request.POST or None, initial={"name": group_type.name})
    if request.method == "POST" and form.is_valid():
        try:
            type_actions.rename_group_type(group_type, actor=request.user, name=form.cleaned_data["name"])
        except (DomainError, ValidationError) as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("The group type was renamed."))
            return redirect("console-groups")
    context = {"group_type": group_type, "form": form, "delete_errors": []}
    status = 400 if form.errors else 200
    return render_console(request, "console/groups/type_edit.html", context, section=SECTION, status=status)


@require_POST
@console_view()
def type_delete_view(request, key: str):
    if not request.scope.is_admin:
        return _forbidden(request)
    group_type = group_type_by_key(key)
    try:
        type_actions.delete_group_type(group_type, actor=request.user)
    except DomainError as exc:
        context = {"group_type": group_type, "form": RenameTypeForm(initial={"name": group_type.name})}
        context["delete_errors"] = [exc.message]
        return render_console(request, "console/groups/type_edit.html", context, section=SECTION, status=400)
    messages.success(request, _("Group type “%(name)s” was deleted.") % {"name": group_type.name})
    return redirect("console-groups")
