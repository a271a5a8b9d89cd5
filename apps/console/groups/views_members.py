"""A group's direct members: a page at a time with a search, add users through the user
picker, move one to another group of any tree, remove one.

The scope rules are the API's (``check_member_scope``): a sub-administrator adds only users
in scope, removes or moves only users they may change, into groups in scope, and never
changes the members of a group whose members are sub-administrators.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.console.groups.forms import AddMembersForm, MemberActionForm, MoveMemberForm
from apps.console.groups.views_node import ACTION_ERRORS, SECTION, node_context
from apps.console.web import console_view, keyword_of, paginate, query_without, render_console
from apps.directory.actions import memberships
from apps.directory.api.nodes_members import check_member_scope
from apps.directory.queries import groups as group_queries

SEARCHED = ("username", "name", "email", "mobile")


def _members_page(request, group, *, add_form=None, action_errors=(), status=200):
    keyword = keyword_of(request.GET)
    members = group_queries.members(group)
    if keyword:
        condition = Q()
        for field in SEARCHED:
            condition |= Q(**{f"{field}__icontains": keyword})
        members = members.filter(condition)
    extra = query_without(request.GET, "page", "q")
    context = node_context(request, group, "members")
    context.update(
        {
            "page": paginate(members, request.GET),
            "q": keyword,
            "extra_query": f"{extra}&" if extra else "",
            "add_form": add_form or AddMembersForm(),
            "action_errors": list(action_errors),
        }
    )
    return render_console(request, "console/groups/members.html", context, section=SECTION, status=status)


@require_GET
@console_view()
def members_view(request, node_uid: str):
    return _members_page(request, group_queries.access_group(request.user, node_uid))


def _users_named(usernames, form, field: str):
    users, missing = group_queries.resolve_usernames(usernames)
    if missing:
        form.add_error(field, _("No such user: %(names)s.") % {"names": ", ".join(missing)})
    return users


@require_POST
@console_view()
def members_add_view(request, node_uid: str):
    group = group_queries.access_group(request.user, node_uid, for_write=True)
    form = AddMembersForm(request.POST)
    if form.is_valid():
        users = _users_named(form.cleaned_data["users"], form, "users")
        if not form.errors:
            try:
                check_member_scope(request.user, group, users, "add", [])
                added = memberships.add_members(group, users, actor=request.user)
            except ACTION_ERRORS as exc:
                errors_into_members(form, exc)
            else:
                messages.success(request, _("%(n)d member(s) added.") % {"n": len(added)})
                return redirect("console-groups-members", node_uid=group.node_uid)
    return _members_page(request, group, add_form=form, status=400)


def errors_into_members(form, exc) -> None:
    """The scope checks name the API's fields (``user_uids``, ``node_uids``): show them on
    the picker the user filled in."""
    messages_ = exc.messages if isinstance(exc, ValidationError) else [exc.message]
    form.add_error("users" if "users" in form.fields else None, messages_)


@require_POST
@console_view()
def members_remove_view(request, node_uid: str):
    group = group_queries.access_group(request.user, node_uid, for_write=True)
    form = MemberActionForm(request.POST)
    errors = []
    if form.is_valid():
        users, missing = group_queries.resolve_usernames([form.cleaned_data["username"]])
        try:
            if missing:
                raise ValidationError(_("No such user: %(names)s.") % {"names": ", ".join(missing)})
            check_member_scope(request.user, group, users, "delete", [])
            memberships.remove_members(group, users, actor=request.user)
        except ACTION_ERRORS as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [exc.message]
        else:
            messages.success(request, _("%(name)s left the group.") % {"name": users[0].username})
            return redirect("console-groups-members", node_uid=group.node_uid)
    else:
        errors = [_("Name the member to remove.")]
    return _members_page(request, group, action_errors=errors, status=400)


@require_http_methods(["GET", "POST"])
@console_view()
def member_move_view(request, node_uid: str):
    """Move one member out of this group into another (v1's ``move_out``)."""
    group = group_queries.access_group(request.user, node_uid, for_write=request.method == "POST")
    form = MoveMemberForm(request.POST or None, initial={"username": request.GET.get("username", "")})
    member = None
    username = (request.POST.get("username") or request.GET.get("username") or "").strip().lower()
    if username:
        member = group_queries.members(group).filter(username=username).first()
    if request.method == "POST" and form.is_valid():
        if member is None:
            form.add_error("username", _("This user is not a member of the group."))
        targets, missing = group_queries.resolve_node_uids(form.cleaned_data["target"])
        if missing:
            form.add_error("target", _("Unknown group: %(uids)s.") % {"uids": ", ".join(missing)})
        if not form.errors:
            try:
                check_member_scope(request.user, group, [member], "move_out", targets)
                memberships.move_out(group, [member], targets, actor=request.user)
            except ACTION_ERRORS as exc:
                form.add_error("target", exc.messages if isinstance(exc, ValidationError) else [exc.message])
            else:
                messages.success(
                    request, _("%(name)s moved to %(group)s.") % {"name": member.username, "group": targets[0].name}
                )
                return redirect("console-groups-members", node_uid=group.node_uid)
    context = node_context(request, group, "members")
    context.update({"form": form, "member": member})
    status = 400 if form.errors else (200 if member else 404)
    return render_console(request, "console/groups/member_move.html", context, section=SECTION, status=status)
