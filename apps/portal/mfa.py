"""Two-factor authentication pages (TOTP): status, enrolment with an inline QR code,
confirmation, recovery codes shown once, regeneration, and turning it off.

Every change is an :mod:`apps.accounts.actions.mfa` action (audited there). Recovery codes
are rendered straight from the POST that made them, never stored for a later GET, and the
page is ``no-store``. Wrong codes count against the same per-account limit as the sign-in
challenge, so a stolen session cannot guess its way to new recovery codes.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import ratelimit
from apps.accounts.actions import mfa
from apps.accounts.actions.login import InvalidCredentials
from apps.accounts.guard import LockedOut, verify_password_attempt
from apps.core.exceptions import DomainError
from apps.portal.forms import MfaCodeForm, MfaDisableForm
from apps.portal.web import render_page


def _qr_svg(otpauth_uri: str) -> str:
    # segno draws the URI as module paths: no text of ours reaches the markup unescaped.
    return mark_safe(segno.make(otpauth_uri, error="m").svg_inline(scale=5, border=2))  # noqa: S308


def _status_page(request, *, code_form=None, regen_form=None, disable_form=None, status=200):
    user = request.user
    enabled = mfa.confirmed_device(user) is not None
    pending = None if enabled else mfa.pending_enrolment(user)
    context = {
        "tab": "mfa",
        "enabled": enabled,
        "required": mfa.policy_requires(user),
        "left": mfa.recovery_codes_left(user) if enabled else 0,
        "pending": pending,
        "qr_svg": _qr_svg(pending["otpauth_uri"]) if pending else "",
        "code_form": code_form or MfaCodeForm(),
        "regen_form": regen_form or MfaCodeForm(auto_id="regen_%s"),
        "disable_form": disable_form or MfaDisableForm(),
    }
    response = render_page(request, "portal/mfa.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the secret of a pending enrolment is on it
    return response


def _recovery_page(request, codes: list[str]):
    response = render_page(request, "portal/mfa_recovery.html", {"tab": "mfa", "codes": codes})
    response["Cache-Control"] = "no-store"
    return response


def _guess_allowed(user) -> bool:
    return ratelimit.count("mfa-user", str(user.pk)) < mfa.USER_FAILURES_MAX


def _count_wrong_guess(user) -> None:
    ratelimit.hit("mfa-user", str(user.pk), mfa.USER_FAILURE_WINDOW)


@login_required
@never_cache
@require_GET
def mfa_view(request):
    return _status_page(request)


@login_required
@require_POST
def mfa_enrol_view(request):
    try:
        mfa.start_enrolment(request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal-mfa")


def _with_code(request, form_key: str, run):
    """Validate the code form, apply the per-account limit, run ``run(code)`` → codes."""
    form = MfaCodeForm(request.POST, auto_id="regen_%s" if form_key == "regen_form" else "id_%s")
    if form.is_valid():
        if not _guess_allowed(request.user):
            form.add_error("code", _("Too many wrong codes. Try again later."))
        else:
            try:
                return _recovery_page(request, run(form.cleaned_data["code"]))
            except mfa.InvalidMfaCode as exc:
                _count_wrong_guess(request.user)
                form.add_error("code", exc.message)
    return _status_page(request, status=400, **{form_key: form})


@login_required
@never_cache
@require_POST
def mfa_confirm_view(request):
    return _with_code(request, "code_form", lambda code: mfa.confirm_enrolment(request.user, code))


@login_required
@never_cache
@require_POST
def mfa_recovery_view(request):
    return _with_code(request, "regen_form", lambda code: mfa.regenerate_recovery_codes(request.user, code))


@sensitive_post_parameters("password")
@login_required
@require_POST
def mfa_disable_view(request):
    """The password again (through the brute-force guard), as the API's disable asks."""
    form = MfaDisableForm(request.POST)
    if form.is_valid():
        user = request.user
        try:
            if verify_password_attempt(user.username, form.cleaned_data["password"], user=user,
                                       channel="mfa_disable") is None:  # fmt: skip
                raise InvalidCredentials()
            mfa.disable_mfa(user, actor=user)
        except InvalidCredentials:
            form.add_error("password", _("The current password is wrong."))
        except LockedOut:
            form.add_error(None, _("Too many failed attempts. Try again later."))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("portal-mfa")
    return _status_page(request, disable_form=form, status=400)
