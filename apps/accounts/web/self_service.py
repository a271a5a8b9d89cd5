"""Web pages for the code-based flows: forgotten password and registration.

Two steps each: the address (a code is sent; a captcha appears when the send limit asks for
one), then the code with the new password (and username, to register). The address lives in
the session between the steps, never in the URL.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from apps.accounts import captcha, config
from apps.accounts.actions import codes
from apps.accounts.actions.self_service import RegistrationClosed, register, reset_forgotten_password
from apps.accounts.web.code_sending import send_code_from_form
from apps.accounts.web.views import continue_login, render_page
from apps.core.exceptions import DomainError

ADDRESS_KEY = "accounts:flow_address"


class AddressForm(forms.Form):
    address = forms.CharField(label=gettext_lazy("Email or mobile number"), max_length=254)
    captcha = forms.CharField(label=gettext_lazy("Characters in the image"), max_length=16, required=False)
    captcha_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class FinishForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Verification code"), max_length=8)
    new_password = forms.CharField(label=gettext_lazy("New password"), max_length=4096, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))  # fmt: skip

    def clean_new_password(self):
        value = self.cleaned_data["new_password"]
        password_validation.validate_password(value)
        return value


class RegisterForm(FinishForm):
    username = forms.RegexField(label=gettext_lazy("Username"), regex=r"^[A-Za-z0-9_.-]{4,16}$", max_length=16)
    field_order = ["code", "username", "new_password"]


def _channel(address: str) -> str:
    return "email" if "@" in address else "sms"


def _allowed_channels(purpose: str) -> set[str]:
    account, sms, email = config.account_config(), config.sms_config(), config.email_config()
    allowed = set()
    if sms.is_configured and (purpose != codes.REGISTER or account.allow_mobile):
        allowed.add("sms")
    if email.is_configured and (purpose != codes.REGISTER or account.allow_email):
        allowed.add("email")
    if purpose == codes.REGISTER and not account.allow_register:
        return set()
    return allowed


def _address_step(request, purpose: str, title: str, next_url: str):
    form = AddressForm(request.POST or None)
    challenge = ""
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"].strip()
        channel = _channel(address)
        if channel not in _allowed_channels(purpose):
            form.add_error("address", _("Codes cannot be sent to this kind of address here."))
        else:
            if send_code_from_form(form, channel, address, purpose):
                request.session[ADDRESS_KEY] = {"purpose": purpose, "address": address}
                return redirect(next_url)
            if "captcha" in form.errors:
                challenge = captcha.new_challenge()
    if challenge:
        form = AddressForm(initial={"address": request.POST.get("address", ""), "captcha_key": challenge})
        form.fields["captcha"].required = True
    status = 400 if request.method == "POST" else 200
    return render_page(request, "accounts/code_address.html", form, status=status, title=title, captcha_key=challenge)


def _pending_address(request, purpose: str) -> str | None:
    pending = request.session.get(ADDRESS_KEY)
    return pending["address"] if pending and pending.get("purpose") == purpose else None


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def forgot_view(request):
    return _address_step(request, codes.RESET_PASSWORD, _("Reset your password"), "/login/forgot/code/")


@sensitive_post_parameters("new_password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def forgot_code_view(request):
    address = _pending_address(request, codes.RESET_PASSWORD)
    if address is None:
        return redirect("/login/forgot/")
    form = FinishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = _channel(address)
        try:
            token, _seconds = codes.verify_code(channel, address, codes.RESET_PASSWORD, form.cleaned_data["code"])
            reset_forgotten_password(channel=channel, address=address, token=token,
                                     new_password=form.cleaned_data["new_password"])  # fmt: skip
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(ADDRESS_KEY, None)
            return redirect("/login/?reset=1")
    status = 400 if request.method == "POST" else 200
    return render_page(request, "accounts/code_finish.html", form, status=status, title=_("Reset your password"))


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def register_view(request):
    if not _allowed_channels(codes.REGISTER):
        return render_page(request, "accounts/code_address.html", None, status=403, title=_("Registration is closed."))
    return _address_step(request, codes.REGISTER, _("Create an account"), "/register/code/")


@sensitive_post_parameters("new_password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def register_code_view(request):
    address = _pending_address(request, codes.REGISTER)
    if address is None:
        return redirect("/register/")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = _channel(address)
        data = form.cleaned_data
        try:
            token, _seconds = codes.verify_code(channel, address, codes.REGISTER, data["code"])
            user, _none = register(channel=channel, token=token, username=data["username"],
                                   password=data["new_password"], issue_token=False)  # fmt: skip
        except RegistrationClosed as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error("code", exc.message)
        except forms.ValidationError as exc:
            for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            request.session.pop(ADDRESS_KEY, None)
            return continue_login(request, user, channel="register")
    status = 400 if request.method == "POST" else 200
    return render_page(request, "accounts/code_finish.html", form, status=status, title=_("Create an account"))
