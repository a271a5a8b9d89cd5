"""One account: create, edit (fields and groups), set a password, disable or enable, invite,
delete. Each page looks the user up through the directory's access query, so a user outside
the actor's scope (or, for changes, an administrator or another sub-administrator) is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.actions.invitations import create_invitation, invitation_url
from apps.console.accounts.forms import NewUserForm, SetPasswordForm, UserForm
from apps.console.web import console_view, render_console
from apps.core.exceptions import DomainError
from apps.directory import scope as directory_scope
from apps.directory.actions import users as user_actions
from apps.directory.api.users import groups_for_new_user
from apps.directory.api.users_memberships import check_scope
from apps.directory.queries import groups as group_queries
from apps.directory.queries import users as user_queries
from apps.portal.web import errors_into_form

SECTION = "accounts"
GROUPS_MAX = 50


def _picked(request) -> list[str]:
    return [uid.strip() for uid in request.POST.getlist("groups") if uid.strip()][:GROUPS_MAX]


def _groups_shown(actor, groups) -> list[tuple[str, str, str]]:
    """The picker's selection: only groups the actor manages (others stay untouched)."""
    scope = directory_scope.resolve_scope(actor)
    return [(g.node_uid, g.name, g.type.name) for g in groups if directory_scope.can_manage_group(actor, g, scope)]


def _selection_of(actor, node_uids: list[str]) -> list[tuple[str, str, str]]:
    groups, _missing = group_queries.resolve_node_uids(node_uids) if node_uids else ([], [])
    return _groups_shown(actor, groups)


@require_http_methods(["GET", "POST"])
@console_view("system_user_create")
def new_view(request):
    form = NewUserForm(request.POST) if request.method == "POST" else NewUserForm()
    node_uids = _picked(request) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            user = _create(request.user, form, node_uids)
        except (ValidationError, DomainError) as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Account %(username)s created.") % {"username": user.username})
            return redirect("console-accounts-user", username=user.username)
    context = {"form": form, "selected_groups": _selection_of(request.user, node_uids)}
    return render_console(
        request, "console/accounts/new.html", context, section=SECTION, status=400 if _has_errors(form) else 200
    )


def _has_errors(form) -> bool:
    return bool(form.errors or getattr(form, "group_errors", None))


def _errors_into(form, exc) -> None:
    # The group rules speak of the API's node_uids; the form's field is the picker.
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") and "node_uids" in exc.error_dict:
        others = exc.message_dict  # a fresh dict on every access
        form.group_errors = others.pop("node_uids")
        exc = ValidationError(others) if others else None
    if exc is not None:
        errors_into_form(form, exc)


@transaction.atomic
def _create(actor, form: NewUserForm, node_uids: list[str]):
    groups = groups_for_new_user(actor, {"node_uids": node_uids})
    password = form.cleaned_data.get("password") or None
    fields = form.user_fields()
    fields.pop("password", None)
    return user_actions.create_user(
        actor=actor,
        username=form.cleaned_data["username"],
        password=password,
        groups=groups,
        must_reset_password=password is not None,  # an administrator chose it: the user replaces it
        **fields,
    )


FORM_FIELDS = tuple(UserForm.base_fields)  # username is not among the initial values of an edit


def _initial(user) -> dict:
    return {field: getattr(user, field) for field in FORM_FIELDS}


@require_http_methods(["GET", "POST"])
@console_view()
def user_view(request, username: str):
    """The account page; read-only for a user the actor may see but not change."""
    user = user_queries.access_user_by_username(request.user, username, for_write=request.method == "POST")
    can_change = directory_scope.can_change_user(request.user, user)
    current = [m.group for m in user.memberships.all()]
    form = UserForm(request.POST if request.method == "POST" else None, initial=_initial(user), editing=True)
    node_uids = _picked(request) if request.method == "POST" else [g.node_uid for g in current]
    if request.method == "POST" and form.is_valid():
        try:
            _update(request.user, user, form, current, node_uids)
        except (ValidationError, DomainError) as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Account %(username)s saved.") % {"username": user.username})
            return redirect("console-accounts-user", username=user.username)
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "account": user,
        "form": form,
        "can_change": can_change,
        "can_invite": request.scope.is_admin,
        "selected_groups": _selection_of(request.user, node_uids),
        "other_groups": len(current) - len(_groups_shown(request.user, current)),
        "password_form": SetPasswordForm(user=user),
    }
    return render_console(
        request, "console/accounts/user.html", context, section=SECTION, status=400 if _has_errors(form) else 200
    )


@transaction.atomic
def _update(actor, user, form: UserForm, current: list, node_uids: list[str]) -> None:
    """Fields first, then memberships: added and removed relative to what the actor can see
    (memberships outside their scope are neither shown nor touched)."""
    user_actions.update_user(user, form.user_fields(), actor=actor)
    wanted = user_queries.resolve_node_uids(node_uids, field="node_uids") if node_uids else []
    visible = {g.node_uid for g in current if directory_scope.can_manage_group(actor, g)}
    added = [g for g in wanted if g.node_uid not in {c.node_uid for c in current}]
    removed = [g for g in current if g.node_uid in visible and g.node_uid not in {w.node_uid for w in wanted}]
    for subject, groups in (("add", added), ("delete", removed)):
        if groups:
            check_scope(actor, user, groups, subject, "node_uids")
            user_actions.change_user_nodes(user, groups, subject, actor=actor)


@require_POST
@console_view()
def password_view(request, username: str):
    """An administrator's reset: the user must choose a new password at their next login."""
    user = user_queries.access_user_by_username(request.user, username, for_write=True)
    form = SetPasswordForm(request.POST, user=user)
    if form.is_valid():
        try:
            user_actions.set_password(user, form.cleaned_data["new_password"], actor=request.user, must_reset=True)
        except ValidationError as exc:
            form.add_error("new_password", exc.message_dict.get("password", exc.messages))
        else:
            done = _("Password set; %(username)s must change it at the next login.")
            messages.success(request, done % {"username": user.username})
            return redirect("console-accounts-user", username=user.username)
    context = {
        "account": user,
        "form": UserForm(initial=_initial(user), editing=True),
        "can_change": True,
        "can_invite": request.scope.is_admin,
        "selected_groups": _groups_shown(request.user, [m.group for m in user.memberships.all()]),
        "other_groups": 0,
        "password_form": form,
    }
    return render_console(request, "console/accounts/user.html", context, section=SECTION, status=400)


@require_POST
@console_view()
def status_view(request, username: str):
    user = user_queries.access_user_by_username(request.user, username, for_write=True)
    active = request.POST.get("active") == "true"
    try:
        user_actions.update_user(user, {"is_active": active}, actor=request.user)
    except (ValidationError, DomainError) as exc:
        text = exc.message if isinstance(exc, DomainError) else " ".join(exc.messages)
        messages.error(request, text)
    else:
        done = _("Account %(username)s enabled.") if active else _("Account %(username)s disabled.")
        messages.success(request, done % {"username": user.username})
    return redirect("console-accounts-user", username=user.username)


@require_POST
@console_view()
def invite_view(request, username: str):
    """A fresh invitation link, shown once (only its digest is stored). Administrators only,
    as in the API: the link lets whoever holds it set the account's password."""
    if not request.scope.is_admin:
        raise PermissionDenied
    user = user_queries.access_user_by_username(request.user, username, for_write=True)
    invitation, raw_key = create_invitation(user, actor=request.user)
    context = {"account": user, "url": invitation_url(raw_key), "expires": invitation.expires}
    response = render_console(request, "console/accounts/invitation.html", context, section=SECTION)
    response["Cache-Control"] = "no-store"  # the key must not stay in a cache
    return response


@require_POST
@console_view()
def delete_view(request, username: str):
    user = user_queries.access_user_by_username(request.user, username, for_write=True)
    try:
        user_actions.delete_user(user, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console-accounts-user", username=user.username)
    messages.success(request, _("Account %(username)s deleted.") % {"username": user.username})
    return redirect("console-accounts")
