"""Start, callback and bind views shared by every login source (see the package docstring)."""

from __future__ import annotations

import hmac
import logging
import secrets
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.guard import LockedOut, verify_password_attempt
from apps.accounts.sources import ExternalProfile, SourceError, get_source
from apps.accounts.web.forms import LoginForm
from apps.accounts.web.views import continue_login, render_page, safe_next
from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.directory.actions.external_identities import link_external_identity
from apps.directory.actions.users import create_user
from apps.directory.models import ExternalIdentity

logger = logging.getLogger("arkid.accounts.sources")

STATE_TTL = 600
PENDING_TTL = 600


def _state_key(key: str) -> str:
    return f"accounts:source_state:{key}"


def _pending_key(key: str) -> str:
    return f"accounts:source_pending:{key}"


def _source_or_404(key: str):
    source = get_source(key)
    if source is None:
        raise Http404
    return source


def _redirect_uri(request, key: str) -> str:
    return request.build_absolute_uri(f"/login/source/{key}/callback/")


@never_cache
@require_GET
def start_view(request, key: str):
    source = _source_or_404(key)
    state = secrets.token_urlsafe(24)
    request.session[_state_key(key)] = {"state": state, "next": safe_next(request), "at": time.time()}
    return HttpResponseRedirect(
        source.authorization_url(request, state=state, redirect_uri=_redirect_uri(request, key))
    )


def _failed(request, key: str, reason: str, status: int = 400, error: str = ""):
    record_event(
        Action.LOGIN_FAILED, actor=None, detail={"via": f"source:{key}", "reason": reason}, outcome=Outcome.FAILURE
    )
    error = error or _("Signing in with this provider did not work. Try again.")
    return render_page(request, "accounts/login.html", LoginForm(), status=status, error=error)


@never_cache
@require_GET
def callback_view(request, key: str):
    source = _source_or_404(key)
    saved = request.session.pop(_state_key(key), None)  # single use, right or wrong
    state = request.GET.get("state", "")
    if not saved or time.time() - saved["at"] > STATE_TTL or not hmac.compare_digest(saved["state"], state):
        return _failed(request, key, "bad_state")
    try:
        profile = source.fetch_profile(request, request.GET, redirect_uri=_redirect_uri(request, key))
    except SourceError as exc:
        logger.warning("login source %s refused: %s", key, exc)
        return _failed(request, key, exc.reason, status=exc.status, error=exc.user_message)
    identity = (
        ExternalIdentity.objects.select_related("user").filter(provider=key, external_id=profile.external_id).first()
    )
    if identity is not None:
        if not identity.user.is_active:
            return _failed(request, key, "inactive")
        return continue_login(request, identity.user, channel=f"source:{key}", next_url=saved["next"])
    request.session[_pending_key(key)] = {"profile": profile.__dict__, "next": saved["next"], "at": time.time()}
    return HttpResponseRedirect(f"/login/source/{key}/bind/")


def _pending(request, key: str) -> tuple[ExternalProfile, str] | None:
    pending = request.session.get(_pending_key(key))
    if not pending or time.time() - pending["at"] > PENDING_TTL:
        return None
    return ExternalProfile(**pending["profile"]), pending["next"]


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def bind_view(request, key: str):
    """A new external account: prove an existing ArkID account's password to link it, or
    (when the source allows) create a new account."""
    source = _source_or_404(key)
    pending = _pending(request, key)
    if pending is None:
        return HttpResponseRedirect("/login/")
    profile, next_url = pending
    context = {"source": source, "profile": profile, "can_create": source.allows_provisioning()}
    if request.method == "POST" and request.POST.get("action") == "create" and source.allows_provisioning():
        user = _provision(source, profile)
        request.session.pop(_pending_key(key), None)
        return continue_login(request, user, channel=f"source:{key}", next_url=next_url)
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = verify_password_attempt(
                form.cleaned_data["identifier"], form.cleaned_data["password"], channel=f"bind:{key}"
            )
        except LockedOut as exc:
            form.add_error(None, _("Too many failed attempts. Try again in %(n)d seconds.") % {"n": exc.retry_after})
            response = render_page(request, "accounts/source_bind.html", form, status=429, **context)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if user is None:
            form.add_error(None, _("Invalid username or password."))
        else:
            link_external_identity(user, provider=key, external_id=profile.external_id, actor=user, data=profile.data)
            request.session.pop(_pending_key(key), None)
            return continue_login(request, user, channel=f"source:{key}", next_url=next_url)
    status = 400 if request.method == "POST" else 200
    return render_page(request, "accounts/source_bind.html", form, status=status, **context)


@transaction.atomic
def _provision(source, profile: ExternalProfile):
    username = _free_username(profile.username_hint or f"{source.key}_{secrets.token_hex(4)}")
    user = create_user(
        actor=None, origin=source.origin, password=None, username=username, name=profile.name or username
    )
    link_external_identity(user, provider=source.key, external_id=profile.external_id, actor=None, data=profile.data)
    return user


def _free_username(hint: str) -> str:
    base = "".join(ch for ch in hint.lower() if ch.isalnum() or ch in "_.-")[:24] or "user"
    users = get_user_model().objects
    candidate = base
    while users.filter(username=candidate).exists():
        candidate = f"{base}_{secrets.token_hex(3)}"
    return candidate
