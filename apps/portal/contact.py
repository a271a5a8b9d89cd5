"""Changing one's mobile number or private email, proven with a code sent to the new address.

Step 1 (``/contact/``): the new address and the current password (through the brute-force
guard); :func:`apps.accounts.actions.codes.send_code` sends a code for ``update_contact``
(send limits, captcha after repeated sends, an address of another account refused). The
pending address is kept in the session, never in the URL.
Step 2 (``/contact/code/``): the code is swapped for a token (``ARKID_CODE_MAX_ATTEMPTS``
guesses) and :func:`apps.accounts.actions.self_service.change_contact` applies it, audited
``auth.contact_changed``. A wrong code changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from apps.accounts import captcha, config
from apps.accounts.actions import codes
from apps.accounts.actions.self_service import change_contact
from apps.accounts.guard import LockedOut, verify_password_attempt
from apps.accounts.web.code_sending import send_code_from_form
from apps.core.exceptions import DomainError
from apps.portal.forms import ContactAddressForm, ContactCodeForm
from apps.portal.web import render_page

PENDING_KEY = "portal:contact_change"


def available_channels() -> list[str]:
    """The channels a code can be sent on: a configured SMS or mail sender."""
    return [name for name, sender in (("sms", config.sms_config()), ("email", config.email_config()))
            if sender.is_configured]  # fmt: skip


def _send(request, form) -> bool:
    """Check the password, send the code; errors go into ``form``. True when sent."""
    data, user = form.cleaned_data, request.user
    try:
        if verify_password_attempt(user.username, data["password"], user=user, channel="update_contact") is None:
            form.add_error("password", _("The current password is wrong."))
            return False
    except LockedOut:
        form.add_error(None, _("Too many failed attempts. Try again later."))
        return False
    return send_code_from_form(form, data["channel"], data["address"], codes.UPDATE_CONTACT, user=user)


@sensitive_post_parameters("password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def contact_view(request):
    channels = available_channels()
    form = ContactAddressForm(request.POST if request.method == "POST" else None, channels=channels)
    captcha_key = ""
    if request.method == "POST" and form.is_valid():
        if _send(request, form):
            request.session[PENDING_KEY] = {"channel": form.cleaned_data["channel"],
                                            "address": form.cleaned_data["address"].strip()}  # fmt: skip
            return redirect("portal-contact-code")
        if "captcha" in form.errors:  # a fresh image for the next try; the address is kept
            captcha_key = captcha.new_challenge()
            form.data = {**form.data.dict(), "captcha_key": captcha_key, "captcha": "", "password": ""}
    status = 400 if form.errors else 200
    context = {"tab": "profile", "form": form, "channels": channels, "captcha_key": captcha_key}
    return render_page(request, "portal/contact.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def contact_code_view(request):
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("portal-contact")
    form = ContactCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        channel, address = pending["channel"], pending["address"]
        try:
            # Not one transaction: a wrong guess must stay counted (verify_code's attempts).
            token, _seconds = codes.verify_code(channel, address, codes.UPDATE_CONTACT, form.cleaned_data["code"])
            change_contact(request.user, **{codes.TOKEN_FIELD[channel]: token})
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(PENDING_KEY, None)
            messages.success(request, _("Your mobile number was changed.") if channel == "sms"
                             else _("Your email address was changed."))  # fmt: skip
            return redirect("portal-profile")
    status = 400 if form.errors else 200
    context = {"tab": "profile", "form": form, "pending": pending}
    return render_page(request, "portal/contact_code.html", context, status=status)
