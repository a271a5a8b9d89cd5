"""``/activate/?key=…``: an invited user activates their account in the browser.

The same rules as the API's ``ucenter/profile/invited/`` (they live in
:mod:`apps.accounts.actions.invitations`): the key is looked up through the actions, the
client address is throttled with the API's ``credentials`` rate, and when a sender is
configured the invitee first proves a mobile or email with a code (the ``activate_user``
subject), then sets a password. Acceptance then goes through the login flow
(:func:`~apps.accounts.web.views.continue_login`), so the MFA policy applies before any
session starts.

Steps, all at one URL (the key stays in the query string, the progress in the session,
bound to the invitation): address → code → password. Without a sender: password only.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from rest_framework.request import Request

from apps.accounts import captcha
from apps.accounts.actions import codes
from apps.accounts.actions.invitations import (
    InvitationNotFound,
    accept_invitation,
    find_usable_invitation,
    verification_channels,
)
from apps.accounts.masking import mask_email, mask_mobile
from apps.accounts.web.code_sending import send_code_from_form
from apps.accounts.web.forms import NewPasswordForm
from apps.accounts.web.self_service import AddressForm
from apps.accounts.web.views import continue_login, render_page
from apps.core.exceptions import DomainError
from apps.core.throttling import ClientIpScopedRateThrottle

STATE_KEY = "accounts:activation"
TEMPLATE = "accounts/activate.html"
ADDRESS_LABELS = {
    ("sms",): gettext_lazy("Mobile number"),
    ("email",): gettext_lazy("Email"),
    ("sms", "email"): gettext_lazy("Email or mobile number"),
}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _throttled(request):
    """The API's per-client-IP ``credentials`` limit (same counter): every request here
    tests a key, so every request counts. ``None`` when allowed, else the 429 page."""
    throttle = ClientIpScopedRateThrottle()
    if throttle.allow_request(Request(request), SimpleNamespace(throttle_scope="credentials")):
        return None
    wait = int(throttle.wait() or 60)
    message = _("Too many attempts. Try again in %(n)d seconds.") % {"n": wait}
    response = render_page(request, "accounts/activate_invalid.html", None, status=429, message=message)
    response["Retry-After"] = str(wait)
    return response


def _state(request, invitation) -> dict:
    """This invitation's progress; progress of another invitation is dropped."""
    state = request.session.get(STATE_KEY) or {}
    if state.get("invitation") != invitation.pk:
        state = {"invitation": invitation.pk}
    return state


def _save(request, state: dict) -> None:
    request.session[STATE_KEY] = state


def _channel(address: str) -> str:
    return "email" if "@" in address else "sms"


def _here(key: str) -> str:
    return f"/activate/?{urlencode({'key': key})}"


def _page(request, invitation, step: str, form, *, status: int = 200, **extra):
    user = invitation.user
    response = render_page(
        request,
        TEMPLATE,
        form,
        status=status,
        step=step,
        invitee=user,
        masked_mobile=mask_mobile(user.mobile),
        masked_email=mask_email(user.email),
        action=_here(request.GET.get("key", "")),
        **extra,
    )
    # The key is in this page's URL: never hand it to another site in a Referer. Not
    # "no-referrer": the browser would then send "Origin: null" and fail the CSRF check.
    response["Referrer-Policy"] = "same-origin"
    return response


def _address_step(request, invitation, state: dict, channels: list[str]):
    form = AddressForm(request.POST if request.method == "POST" else None)
    form.fields["address"].label = ADDRESS_LABELS[tuple(channels)]
    challenge = ""
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"].strip()
        channel = _channel(address)
        if channel not in channels:
            form.add_error("address", _("Codes cannot be sent to this kind of address here."))
        else:
            if send_code_from_form(form, channel, address, codes.ACTIVATE, user=invitation.user):
                _save(request, {"invitation": invitation.pk, "channel": channel, "address": address})
                return redirect(_here(request.GET.get("key", "")))
            if "captcha" in form.errors:
                challenge = captcha.new_challenge()
    if challenge:
        form = AddressForm(initial={"address": request.POST.get("address", ""), "captcha_key": challenge})
        form.fields["address"].label = ADDRESS_LABELS[tuple(channels)]
        form.fields["captcha"].required = True
    status = 400 if request.method == "POST" else 200
    return _page(request, invitation, "address", form, status=status, captcha_key=challenge)


def _code_step(request, invitation, state: dict):
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, _seconds = codes.verify_code(
                state["channel"], state["address"], codes.ACTIVATE, form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            _save(request, {**state, "token": token})
            return redirect(_here(request.GET.get("key", "")))
    status = 400 if request.method == "POST" else 200
    return _page(request, invitation, "code", form, status=status, address=state["address"])


def _password_step(request, invitation, state: dict):
    key = request.GET.get("key", "")
    form = NewPasswordForm(request.POST if request.method == "POST" else None, user=invitation.user)
    if request.method == "POST" and form.is_valid():
        token = state.get("token", "")
        proof = {"sms_token": token} if state.get("channel") == "sms" else {"email_token": token}
        try:
            user, _none = accept_invitation(key, form.cleaned_data["new_password"], issue_token=False, **proof)
        except InvitationNotFound:
            raise  # used up by a parallel request: the view shows the invalid page
        except ValidationError as exc:
            for message in getattr(exc, "message_dict", {}).get("password", exc.messages):
                form.add_error("new_password", message)
        except DomainError:
            # The verification token expired or was used meanwhile: verify again.
            request.session.pop(STATE_KEY, None)
            form = AddressForm()
            form.add_error(None, _("Your verification has expired. Verify your mobile or email again."))
            form.fields["address"].label = ADDRESS_LABELS[tuple(verification_channels())]
            return _page(request, invitation, "address", form, status=400)
        else:
            request.session.pop(STATE_KEY, None)
            # The login flow from here: the MFA policy (enrolment) first, then the session.
            return continue_login(request, user, channel="invitation", next_url="/")
    status = 400 if request.method == "POST" else 200
    return _page(request, invitation, "password", form, status=status, verified=state.get("address", ""))


def _invalid(request, exc: InvitationNotFound):
    return render_page(request, "accounts/activate_invalid.html", None, status=exc.status_code, message=exc.message)


@sensitive_post_parameters("new_password", "confirm", "code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def activate_view(request):
    limited = _throttled(request)
    if limited is not None:
        return limited
    try:
        invitation = find_usable_invitation(request.GET.get("key", ""))
        state = _state(request, invitation)
        if request.method == "POST" and "restart" in request.POST:  # "use another address"
            request.session.pop(STATE_KEY, None)
            return redirect(_here(request.GET.get("key", "")))
        channels = verification_channels()
        if channels and not state.get("token"):
            if state.get("address"):
                return _code_step(request, invitation, state)
            return _address_step(request, invitation, state, channels)
        return _password_step(request, invitation, state)
    except InvitationNotFound as exc:
        return _invalid(request, exc)
