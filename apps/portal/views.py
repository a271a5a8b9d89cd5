"""The portal pages (工作台): my apps, profile, password, sessions. Views parse input and
render; reads go through :mod:`apps.portal.queries`, writes through the apps' actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.actions.login import InvalidCredentials
from apps.accounts.actions.passwords import set_new_password, verify_old_password
from apps.accounts.actions.user_sessions import end_session_row, live_sessions_of
from apps.accounts.guard import LockedOut
from apps.core.exceptions import DomainError
from apps.directory.actions.users import update_user
from apps.oidc.actions import sign_out
from apps.portal import queries
from apps.portal.contact import available_channels
from apps.portal.forms import AvatarForm, ChangePasswordForm, ProfileForm
from apps.portal.web import errors_into_form, render_page
from apps.storage.actions import StorageUnavailable, discard_file, store_avatar, stored_name_of


@login_required
def apps_view(request):
    """The launcher: apps the user may open, searched and paginated on the server."""
    keyword = queries.keyword_of(request.GET)
    page = queries.paginate(queries.my_apps(request.user, keyword), request.GET)
    context = {"tab": "apps", "page": page, "q": keyword}
    if request.headers.get("HX-Request") == "true":
        return render_page(request, "portal/_app_grid.html", context)
    return render_page(request, "portal/apps.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request):
    user = request.user
    initial = {"name": user.name, "position": user.position, "gender": user.gender}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_user(user, form.cleaned_data, actor=user, visible_only=True)
        except (ValidationError, DomainError) as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("portal-profile")
    return _profile_page(request, form=form)


def _profile_page(request, *, form=None, avatar_form=None):
    user = request.user
    form = form or ProfileForm(initial={"name": user.name, "position": user.position, "gender": user.gender})
    avatar_form = avatar_form or AvatarForm()
    context = {"tab": "profile", "form": form, "avatar_form": avatar_form, "contact_channels": available_channels()}
    status = 400 if form.errors or avatar_form.errors else 200
    return render_page(request, "portal/profile.html", context, status=status)


def _discard_on_commit(previous_url: str, user) -> None:
    """The replaced avatar's file goes once the change is committed, unless another account
    points at it too (the avatar field is free text in the API)."""
    name = stored_name_of(previous_url)
    if name and not queries.avatar_in_use(previous_url):
        transaction.on_commit(lambda: discard_file(name, actor=user))


@login_required
@require_POST
def avatar_upload_view(request):
    """The image is checked, re-encoded and stored by apps.storage; the profile then points
    at it (user.updated is audited by the directory, the upload by storage)."""
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        previous = request.user.avatar
        try:
            with transaction.atomic():
                url = store_avatar(form.cleaned_data["file"], actor=request.user)
                update_user(request.user, {"avatar": url}, actor=request.user, visible_only=True)
                _discard_on_commit(previous, request.user)
        except StorageUnavailable:
            form.add_error("file", _("The file could not be stored. Try again later."))
        except (ValidationError, DomainError) as exc:
            errors_into_form(form, exc)
        else:
            messages.success(request, _("Your avatar was changed."))
            return redirect("portal-profile")
    return _profile_page(request, avatar_form=form)


@login_required
@require_POST
def avatar_remove_view(request):
    with transaction.atomic():
        previous = request.user.avatar
        update_user(request.user, {"avatar": ""}, actor=request.user, visible_only=True)
        _discard_on_commit(previous, request.user)
    messages.success(request, _("Your avatar was removed."))
    return redirect("portal-profile")


@sensitive_post_parameters("old_password", "new_password", "confirm")
@login_required
@require_http_methods(["GET", "POST"])
def password_view(request):
    """Old password checked by the brute-force guard; the session survives the change (its
    auth hash is refreshed), API and OAuth tokens do not (revoked by the action)."""
    form = ChangePasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                account = verify_old_password(user=request.user, old_password=form.cleaned_data["old_password"])
                set_new_password(account, form.cleaned_data["new_password"], issue=False)
        except InvalidCredentials:
            form.add_error("old_password", _("The current password is wrong."))
        except LockedOut:
            form.add_error(None, _("Too many failed attempts. Try again later."))
        except (ValidationError, DomainError) as exc:
            errors_into_form(form, exc)
        else:
            update_session_auth_hash(request, account)
            messages.success(request, _("Your password was changed."))
            return redirect("portal-password")
    status = 400 if form.errors else 200
    return render_page(request, "portal/password.html", {"tab": "password", "form": form}, status=status)


@login_required
def sessions_view(request):
    rows = live_sessions_of(request.user)
    current = request.session.session_key
    return render_page(request, "portal/sessions.html", {"tab": "sessions", "rows": rows, "current": current})


@login_required
@require_POST
def session_end_view(request, session_id: int):
    row = next((r for r in live_sessions_of(request.user) if r.pk == session_id), None)
    if row is None:
        raise Http404
    end_session_row(row, actor=request.user)
    if row.session_key == request.session.session_key:
        return redirect("/login/")
    messages.success(request, _("The session was signed out."))
    return redirect("portal-sessions")


@login_required
def authorised_view(request):
    """OAuth apps holding a live token of the user, paginated."""
    page = queries.paginate(queries.authorised_clients(request.user), request.GET)
    return render_page(request, "portal/authorised.html", {"tab": "authorised", "page": page})


@login_required
@require_POST
def authorised_revoke_view(request, client_pk: int):
    client = queries.authorised_client(request.user, client_pk)
    if client is None:
        raise Http404
    sign_out(request.user, "revoked_by_user", client=client, actor=request.user)
    messages.success(request, _("The app's access was revoked."))
    return redirect("portal-authorised")
