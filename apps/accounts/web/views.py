"""``/login/``, ``/login/password/`` (forced change) and ``POST /logout/``.

Plain Django views and templates, no JavaScript build. The password check is the
brute-force guard's, the session is started by :mod:`apps.accounts.actions.sessions`.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import config
from apps.accounts.actions import mfa
from apps.accounts.actions.sessions import end_session, start_session
from apps.accounts.api.meta import account_flags
from apps.accounts.guard import LockedOut, verify_password_attempt
from apps.accounts.sources import login_buttons
from apps.accounts.web.branding import current_branding
from apps.accounts.web.forms import LoginForm, MfaForm, NewPasswordForm
from apps.directory.actions.users import set_password

PENDING_KEY = "accounts:pending_password_change"
MFA_KEY = "accounts:mfa_token"
ENROL_KEY = "accounts:mfa_enrolment"
MFA_DONE = "accounts:mfa_done"
PENDING_TTL = 600  # seconds between the password check and the forced change
DEFAULT_NEXT = "/"


def safe_next(request) -> str:
    """The ``next`` target if it stays on this site, else ``/`` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else DEFAULT_NEXT


def render_page(request, template: str, form, *, status: int = 200, **extra):
    context = {"form": form, "next": safe_next(request), "branding": current_branding(), **extra}
    context.setdefault("sources", login_buttons(context["next"]))
    if template == "accounts/login.html":
        flags = account_flags()
        context.update(
            can_reset=bool(config.sms_config().is_configured or config.email_config().is_configured),
            can_register=flags["support_register"],
            reset_done=request.GET.get("reset") == "1",
        )
    return render(request, template, context, status=status)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.method == "GET":
        # ``reauth=1``: an app asked for a fresh sign-in (OIDC prompt=login, max_age), so a
        # signed-in user gets the form too, their username filled in.
        reauth = request.GET.get("reauth") == "1" and request.user.is_authenticated
        if request.user.is_authenticated and not request.user.must_reset_password and not reauth:
            return HttpResponseRedirect(safe_next(request))
        form = LoginForm(initial={"identifier": request.user.get_username()} if reauth else None)
        return render_page(request, "accounts/login.html", form, reauth=reauth)
    form = LoginForm(request.POST)
    if not form.is_valid():
        return render_page(request, "accounts/login.html", form, status=400)
    try:
        user = verify_password_attempt(form.cleaned_data["identifier"], form.cleaned_data["password"], channel="web")
    except LockedOut as exc:
        form.add_error(None, _("Too many failed attempts. Try again in %(n)d seconds.") % {"n": exc.retry_after})
        response = render_page(request, "accounts/login.html", form, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        # Unknown user, wrong password and inactive account: one message, no enumeration.
        form.add_error(None, _("Invalid username or password."))
        return render_page(request, "accounts/login.html", form, status=400)
    return continue_login(request, user)


def continue_login(request, user, *, channel: str = "web", next_url: str | None = None):
    """The first factor is proven (password, or an external login source): the second
    factor if due, then the forced password change if due, then the session. ``next_url``
    must already be validated (:func:`safe_next`); by default it is read from the request."""
    if mfa.mfa_needed(user):
        request.session.cycle_key()
        request.session[MFA_KEY] = mfa.open_challenge(user, channel=channel)["mfa_token"]
        return redirect(f"/login/mfa/?{urlencode({'next': next_url or safe_next(request)})}")
    # A login source is named in the audit event (via "source:dingtalk"); the rest is "web".
    return _after_all_factors(request, user, next_url=next_url, via=channel if channel.startswith("source:") else "web")


def _after_all_factors(request, user, *, next_url: str | None = None, via: str = "web"):
    """Both factors proven: the forced password change if due, else the session."""
    if user.must_reset_password:
        request.session.cycle_key()
        request.session[PENDING_KEY] = {"uid": user.pk, "at": time.time()}
        return redirect(f"/login/password/?{urlencode({'next': next_url or safe_next(request)})}")
    start_session(request, user, via=f"{via}+totp" if request.session.pop(MFA_DONE, False) else via)
    return HttpResponseRedirect(next_url or safe_next(request))


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_view(request):
    """The second factor (and, when the policy requires it, enrolling an authenticator)."""
    token = request.session.get(MFA_KEY, "")
    try:
        user = mfa.challenge_user(token)
    except mfa.InvalidMfaToken:
        request.session.pop(MFA_KEY, None)
        return redirect("/login/")
    enrolment = None
    if mfa.confirmed_device(user) is None:
        enrolment = request.session.get(ENROL_KEY) or mfa.start_enrolment(user)
        request.session[ENROL_KEY] = enrolment
    form = MfaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _user, recovery = mfa.answer_challenge(token, form.cleaned_data["code"])
        except mfa.InvalidMfaCode as exc:
            form.add_error("code", exc.message)
        except LockedOut as exc:
            form.add_error("code", _("Too many failed attempts. Try again in %(n)d seconds.") % {"n": exc.retry_after})
        except mfa.InvalidMfaToken:
            request.session.pop(MFA_KEY, None)
            return redirect("/login/")
        else:
            for key in (MFA_KEY, ENROL_KEY):
                request.session.pop(key, None)
            request.session[MFA_DONE] = True
            response = _after_all_factors(request, user)
            if recovery:
                return render_page(
                    request, "accounts/recovery_codes.html", None, codes=recovery, continue_to=response["Location"]
                )
            return response
    status = 400 if request.method == "POST" else 200
    return render_page(request, "accounts/mfa.html", form, status=status, enrolment=enrolment)


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_TTL:
        return None
    return get_user_model().objects.filter(pk=pending.get("uid"), is_active=True).first()


@sensitive_post_parameters("new_password", "confirm")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def forced_password_view(request):
    """The password must change before the session starts: the user proved the old one."""
    user = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("/login/")
    form = NewPasswordForm(request.POST or None, user=user)
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render_page(request, "accounts/password_change.html", form, status=status, user_name=user.username)
    try:
        with transaction.atomic():
            set_password(user, form.cleaned_data["new_password"], actor=user, must_reset=False)
    except ValidationError as exc:
        form.add_error("new_password", exc.messages)
        return render_page(request, "accounts/password_change.html", form, status=400, user_name=user.username)
    request.session.pop(PENDING_KEY, None)
    start_session(request, user, via="web+totp" if request.session.pop(MFA_DONE, False) else "web")
    return HttpResponseRedirect(safe_next(request))


@csrf_protect
@require_POST
def logout_view(request):
    end_session(request)
    return redirect("/login/")
