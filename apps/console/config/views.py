"""Index, registration and login methods, senders with a test send, password and MFA policy.

The views parse forms and render; every rule and every write is the accounts app's
(:mod:`apps.console.config.saving`). A successful save redirects (post/redirect/get) with a
message; an invalid one re-renders with the errors inline and status 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import config, sources
from apps.accounts.actions.config import send_test_message
from apps.accounts.models import SmsConfig
from apps.accounts.senders import SendFailed
from apps.console.config.forms import EmailSenderForm, RegistrationForm, SecurityForm, SmsSenderForm, TestSendForm
from apps.console.config.saving import initial_of, save_sections, secret_is_set
from apps.console.config.web import PERM, render_settings
from apps.console.web import console_view
from apps.portal.web import errors_into_form

# Where a login source is configured, when another console area does it.
SOURCE_SETTINGS = {"dingtalk": "console-sync"}


@require_GET
@console_view(PERM)
def index_view(request):
    return render_settings(request, "console/config/index.html")


def _reverse_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def login_methods() -> list[dict]:
    """Password, the code logins and every registered login source, each with its state (read
    from the rows, not the 30-second cache: the page just saved shows what was saved)."""
    account, email, sms = (config.MODELS[name].load() for name in ("account", "email", "sms"))
    rows = [
        {"name": _("Password"), "on": True, "note": _("Always available.")},
        {
            "name": _("Email code"),
            "on": account.allow_email and email.is_configured,
            "note": "" if email.is_configured else _("The mail sender is not configured."),
        },
        {
            "name": _("SMS code"),
            "on": account.allow_mobile and sms.is_configured,
            "note": "" if sms.is_configured else _("The SMS sender is not configured."),
        },
    ]
    for source in sources.registered_sources():
        settings_name = SOURCE_SETTINGS.get(source.key)
        rows.append(
            {
                "name": source.name,
                "on": source.is_enabled(),
                "note": _("Enabled once its integration is configured."),
                "url": _reverse_or_none(settings_name) if settings_name else None,
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@console_view(PERM)
def accounts_view(request):
    fields = list(RegistrationForm.base_fields)
    if request.method == "POST":
        form = RegistrationForm(request.POST)
        if form.is_valid() and save_sections(form, {form.section: form.cleaned_data}, actor=request.user) is not None:
            messages.success(request, _("Registration and login settings saved."))
            return redirect("console-config-accounts")
        status = 400
    else:
        form, status = RegistrationForm(initial=initial_of("account", fields)), 200
    context = {"form": form, "methods": login_methods()}
    return render_settings(request, "console/config/accounts.html", context, page="accounts", status=status)


@require_http_methods(["GET", "POST"])
@console_view(PERM)
def security_view(request):
    if request.method == "POST":
        form = SecurityForm(request.POST)
        if form.is_valid() and save_sections(form, form.sections(), actor=request.user) is not None:
            messages.success(request, _("Password and two-factor policy saved."))
            return redirect("console-config-security")
        status = 400
    else:
        initial = {**initial_of("password", SecurityForm.PASSWORD_FIELDS), **initial_of("account", ["mfa_policy"])}
        form, status = SecurityForm(initial=initial), 200
    return render_settings(request, "console/config/security.html", {"form": form}, page="security", status=status)


SENDER_FORMS = {"email": EmailSenderForm, "sms": SmsSenderForm}


def _senders_page(request, *, status: int = 200, **bound):
    """The senders page; ``bound`` replaces a form by the posted one (with its errors)."""
    context = {}
    for channel, form_class in SENDER_FORMS.items():
        context[f"{channel}_form"] = bound.get(f"{channel}_form") or form_class(
            prefix=channel, initial=initial_of(channel, form_class.base_fields)
        )
        context[f"{channel}_test"] = bound.get(f"{channel}_test") or TestSendForm(prefix=f"{channel}-test")
        context[f"{channel}_secret_set"] = secret_is_set(channel)
        context[f"{channel}_configured"] = config.MODELS[channel].load().is_configured
    return render_settings(request, "console/config/senders.html", context, page="senders", status=status)


@require_GET
@console_view(PERM)
def senders_view(request):
    return _senders_page(request)


@require_POST
@console_view(PERM)
def sender_save_view(request, channel: str):
    form = SENDER_FORMS[channel](request.POST, prefix=channel)
    if form.is_valid():
        values = dict(form.cleaned_data)
        if not values.get("access_secret"):
            values.pop("access_secret", None)  # blank keeps the stored secret
        if "endpoint" in values and not values["endpoint"]:
            values["endpoint"] = SmsConfig._meta.get_field("endpoint").default  # blank: Aliyun's own
        if save_sections(form, {form.section: values}, actor=request.user) is not None:
            messages.success(request, _("Sender settings saved."))
            return redirect("console-config-senders")
    return _senders_page(request, status=400, **{f"{channel}_form": form})


@require_POST
@console_view(PERM)
def test_send_view(request, channel: str):
    """Send through the saved sender configuration (save first, then test)."""
    form = TestSendForm(request.POST, prefix=f"{channel}-test")
    status = 400
    if form.is_valid():
        try:
            address = send_test_message(channel, form.cleaned_data["address"], actor=request.user)
        except ValidationError as exc:
            errors_into_form(form, exc)
        except SendFailed as exc:
            # The administrator configures the relay, so the relay's answer is what they need.
            form.add_error(None, _("Sending failed: %(reason)s") % {"reason": exc})
            status = 502
        else:
            messages.success(request, _("Test message sent to %(address)s.") % {"address": address})
            return redirect("console-config-senders")
    return _senders_page(request, status=status, **{f"{channel}_test": form})
