"""One group: its children (htmx, a page at a time), settings (name and remark), a new child,
move, position among its siblings, visibility and deletion.

Each view resolves the group with ``access_group`` (outside the actor's scope: 404), parses
the form and calls the directory's actions, which enforce the tree's rules (cycles, trees,
empty groups) and audit. Errors come back inline on the same page with status 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.console.groups import reads
from apps.console.groups.forms import PICKED_MAX, GroupCreateForm, GroupEditForm, MoveForm, OrderForm, VisibilityForm
from apps.console.web import console_view, is_htmx, paginate, render_console
from apps.core.exceptions import DomainError
from apps.directory import scope as directory_scope
from apps.directory.actions import groups as group_actions
from apps.directory.api.nodes_admin import check_visibility_scope
from apps.directory.models import Group
from apps.directory.queries import groups as group_queries
from apps.portal.web import errors_into_form

SECTION = "groups"
ACTION_ERRORS = (DomainError, ValidationError)


def node_context(request, group: Group, tab: str) -> dict:
    """What every tab of a group's page shows above its own content."""
    return {
        "group": group,
        "group_type": group.type,
        "ancestors": reads.visible_ancestors(request.user, request.scope, group),
        "tab": tab,
    }


def _settings_page(request, group: Group, *, status: int = 200, **forms):
    context = node_context(request, group, "settings")
    context.update(
        {
            "edit_form": forms.get("edit_form") or GroupEditForm(initial={"name": group.name, "remark": group.remark}),
            "move_form": forms.get("move_form") or MoveForm(),
            "order_form": forms.get("order_form") or OrderForm(),
            "delete_errors": forms.get("delete_errors") or [],
            "parent_selected": _as_picked(request.POST.getlist("parent")) if request.method == "POST" else [],
        }
    )
    return render_console(request, "console/groups/node.html", context, section=SECTION, status=status)


@require_http_methods(["GET", "POST"])
@console_view()
def node_view(request, node_uid: str):
    """The group's settings; POST saves name and remark (a root is named after its type)."""
    group = group_queries.access_group(request.user, node_uid, for_write=request.method == "POST")
    if request.method == "GET":
        return _settings_page(request, group)
    form = GroupEditForm(request.POST)
    if form.is_valid():
        try:
            group = group_actions.update_group(group, dict(form.cleaned_data), actor=request.user)
        except ACTION_ERRORS as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("The group was saved."))
            return redirect("console-groups-node", node_uid=group.node_uid)
    return _settings_page(request, group, edit_form=form, status=400)


@require_GET
@console_view()
def children_view(request, node_uid: str):
    """One page of a group's children: the htmx fragment an expansion or "More…" asks for
    (a full page without JavaScript)."""
    parent = group_queries.access_group(request.user, node_uid)
    page = paginate(reads.level(parent), request.GET)
    context = {
        "children": page.object_list,
        "children_page": page,
        "more_url": request.path,
        "parent": parent,
        "group_type": parent.type,
        "append": is_htmx(request) and page.number > 1,
    }
    if is_htmx(request):
        return render_console(request, "console/groups/_tree_level.html", context, section=SECTION)
    context.update(node_context(request, parent, "children"))  # the whole page: the group's tabs too
    return render_console(request, "console/groups/children.html", context, section=SECTION)


@require_http_methods(["GET", "POST"])
@console_view()
def create_child_view(request, node_uid: str):
    parent = group_queries.access_group(request.user, node_uid, for_write=request.method == "POST")
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            child = group_actions.create_group(
                actor=request.user,
                parent=parent,
                name=data["name"],
                uid=data["uid"] or None,
                remark=data["remark"],
                visibility=data["visibility"],
            )
        except ACTION_ERRORS as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("Group “%(name)s” was created.") % {"name": child.name})
            return redirect("console-groups-node", node_uid=child.node_uid)
    context = {"parent": parent, "group_type": parent.type, "form": form}
    status = 400 if form.errors else 200
    return render_console(request, "console/groups/create.html", context, section=SECTION, status=status)


def _move_target(request, group: Group, form: MoveForm) -> Group | None:
    """The new parent: the type's root, or the picked group (which must be in scope)."""
    if form.cleaned_data["to_top"]:
        target = group.type.root
    else:
        found, missing = group_queries.resolve_node_uids(form.cleaned_data["parent"])
        if missing:
            form.add_error("parent", _("Unknown group: %(uids)s.") % {"uids": ", ".join(missing)})
            return None
        target = found[0]
    directory_scope.require_groups_in_scope(request.user, [target], field="parent")
    return target


@require_POST
@console_view()
def move_view(request, node_uid: str):
    """Re-parent the group with its subtree; the action refuses roots, other trees and
    cycles (into itself or a descendant)."""
    group = group_queries.access_group(request.user, node_uid, for_write=True)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            target = _move_target(request, group, form)
            if target is not None:
                group_actions.move_group(group, target, actor=request.user)
        except ACTION_ERRORS as exc:
            errors_into_form(form, exc)
        if not form.errors:
            messages.success(request, _("The group was moved."))
            return redirect("console-groups-node", node_uid=group.node_uid)
    return _settings_page(request, group, move_form=form, status=400)


@require_POST
@console_view()
def order_view(request, node_uid: str):
    """Move up or down one place, or to a given position, among the siblings."""
    group = group_queries.access_group(request.user, node_uid, for_write=True)
    form = OrderForm(request.POST)
    if form.is_valid() and group.parent_id is None:
        form.add_error(None, _("A tree's root has no siblings."))
    if form.is_valid():
        data = form.cleaned_data
        prefix = reads.reordered_prefix(group, data["direction"], data.get("position"))
        try:
            group_actions.sort_children(group.parent, prefix, actor=request.user)
        except ACTION_ERRORS as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("The order was saved."))
            back = "console-groups-tree" if request.POST.get("back") == "tree" else "console-groups-node"
            kwargs = {"key": group.type.key} if back == "console-groups-tree" else {"node_uid": group.node_uid}
            return redirect(back, **kwargs)
    return _settings_page(request, group, order_form=form, status=400)


@require_POST
@console_view()
def delete_view(request, node_uid: str):
    """Only an empty group goes (no children, no members), never a root: the action's rule."""
    group = group_queries.access_group(request.user, node_uid, for_write=True)
    try:
        group_actions.delete_group(group, actor=request.user)
    except ACTION_ERRORS as exc:
        return _settings_page(request, group, delete_errors=[getattr(exc, "message", str(exc))], status=400)
    messages.success(request, _("Group “%(name)s” was deleted.") % {"name": group.name})
    parent = group.parent
    if parent.parent_id is not None and directory_scope.can_manage_group(request.user, parent, request.scope):
        return redirect("console-groups-node", node_uid=parent.node_uid)
    return redirect("console-groups-tree", key=group.type.key)


def _as_picked(values) -> list[tuple[str, str, str]]:
    """Submitted picker values shown back as they were sent (after an error), without
    looking them up: a sub-administrator learns nothing about names outside the scope."""
    return [(v, v, "") for v in list(dict.fromkeys(str(v) for v in values))[:PICKED_MAX]]


def _picked_groups(group: Group) -> list[tuple[str, str, str]]:
    listed = group.visible_groups.select_related("type").order_by("name", "id")[:PICKED_MAX]
    return [(g.node_uid, g.name, g.type.name) for g in listed]


def _picked_users(group: Group) -> list[tuple[str, str, str]]:
    listed = group.visible_users.order_by("username", "id")[:PICKED_MAX]
    return [(u.username, u.name or u.username, u.username) for u in listed]


@require_http_methods(["GET", "POST"])
@console_view()
def visibility_view(request, node_uid: str):
    """Who sees the group in the address book; the listed users and groups (mode 4) come
    from the scoped pickers, and a sub-administrator may list only what they manage."""
    group = group_queries.access_group(request.user, node_uid, for_write=request.method == "POST")
    form = VisibilityForm(request.POST or None, initial={"visibility": group.visibility})
    if request.method == "POST" and form.is_valid():
        try:
            check_visibility_scope(request.user, form.cleaned_data)
            group_actions.update_group(group, dict(form.cleaned_data), actor=request.user)
        except ACTION_ERRORS as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("The visibility was saved."))
            return redirect("console-groups-visibility", node_uid=group.node_uid)
    context = node_context(request, group, "visibility")
    if form.is_bound and form.errors:
        picked_groups, picked_users = (
            _as_picked(request.POST.getlist("node_scope")),
            _as_picked(request.POST.getlist("user_scope")),
        )
    else:
        picked_groups, picked_users = _picked_groups(group), _picked_users(group)
    context.update({"form": form, "picked_groups": picked_groups, "picked_users": picked_users})
    status = 400 if form.errors else 200
    return render_console(request, "console/groups/visibility.html", context, section=SECTION, status=status)
