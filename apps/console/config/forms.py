"""Forms of the Settings area. They parse and render only: the rules (what SMTP needs, which
switches need a working sender, the password policy's sums) live in the accounts app and are
applied by :func:`apps.console.config.saving.save_sections`, which puts their errors inline."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import AccountConfig, EmailConfig, SmsConfig
from apps.accounts.web.branding import safe_logo, valid_colour

KEEP_SECRET_HELP = _("Leave blank to keep the stored secret. It is never shown again.")


def _optional_text(label, max_length: int, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length, **kwargs)


# Fields the accounts serializers check (numbers, choices, addresses) are parsed as text here so
# that every error comes from one place and all of them show at once.
def _number(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.NumberInput)


def _choice(label, choices) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices))


class RegistrationForm(forms.Form):
    """The ``account`` section's switches: who may register and which code logins exist."""

    section = "account_config"

    allow_register = forms.BooleanField(
        label=_("Open registration (new users sign up with a verified email or mobile)"), required=False
    )
    allow_email = forms.BooleanField(
        label=_("Email codes: log in, register and recover passwords with a code sent by email"), required=False
    )
    allow_mobile = forms.BooleanField(
        label=_("SMS codes: log in, register and recover passwords with a code sent by SMS"), required=False
    )
    register_group_uid = _optional_text(_("Group that registered users join (its uid; blank: none)"), 255)


class SecurityForm(forms.Form):
    """Password policy (``password`` section) and the MFA policy (``account`` section)."""

    PASSWORD_FIELDS = ("min_length", "min_upper", "min_lower", "min_letter", "min_digit", "min_special", "min_word")

    min_length = _number(_("Minimum length"))
    min_upper = _number(_("Minimum upper-case letters"))
    min_lower = _number(_("Minimum lower-case letters"))
    min_letter = _number(_("Minimum letters"))
    min_digit = _number(_("Minimum digits"))
    min_special = _number(_("Minimum special characters"))
    min_word = _number(_("Minimum words"))
    mfa_policy = _choice(_("Two-factor authentication"), AccountConfig.MfaPolicy.choices)

    def sections(self) -> dict:
        data = self.cleaned_data
        return {
            "password_config": {f: data[f] for f in self.PASSWORD_FIELDS},
            "account_config": {"mfa_policy": data["mfa_policy"]},
        }


class EmailSenderForm(forms.Form):
    section = "email_config"

    vendor = _choice(_("Mail sender"), EmailConfig.Vendor.choices)
    host = _optional_text(_("SMTP host"), 255)
    port = _number(_("Port"))
    security = _choice(_("Connection security"), EmailConfig.Security.choices)
    access_key = _optional_text(_("SMTP user"), 254)
    access_secret = _optional_text(
        _("SMTP password"), 1024, widget=forms.PasswordInput(render_value=False), help_text=KEEP_SECRET_HELP
    )
    from_address = _optional_text(_("From address"), 254)
    nickname = _optional_text(_("Sender name"), 64)


class SmsSenderForm(forms.Form):
    section = "sms_config"

    vendor = _choice(_("SMS sender"), SmsConfig.Vendor.choices)
    access_key = _optional_text(_("AccessKey ID"), 128)
    access_secret = _optional_text(
        _("AccessKey secret"), 1024, widget=forms.PasswordInput(render_value=False), help_text=KEEP_SECRET_HELP
    )
    signature = _optional_text(_("Signature (签名)"), 64)
    template_code = _optional_text(_("Template code (with a ${code} variable)"), 64)
    endpoint = _optional_text(_("Endpoint"), 255, help_text=_("Blank: Aliyun's default endpoint."))


class TestSendForm(forms.Form):
    address = forms.CharField(label=_("Send a test message to"), max_length=254)


class LoginPageForm(forms.Form):
    """The organisation's branding; values are checked as the login page renders them."""

    name = forms.CharField(label=_("Company name"), max_length=255)
    name_en = _optional_text(_("Company name in English"), 255)
    icon = _optional_text(
        _("Logo URL"), 512, help_text=_("An http(s) URL or a path on this site, e.g. /media/logo.png")
    )
    color = forms.CharField(label=_("Primary colour"), max_length=16, help_text=_("A hex colour such as #006064"))

    def clean_icon(self) -> str:
        icon = self.cleaned_data["icon"].strip()
        if icon and safe_logo(icon) != icon:
            raise forms.ValidationError(_("Use an http(s) URL or a path on this site starting with /."))
        return icon

    def clean_color(self) -> str:
        colour = valid_colour(self.cleaned_data["color"])
        if colour is None:
            raise forms.ValidationError(_("Enter a hex colour: # and 3 or 6 digits 0-9 or a-f."))
        return colour.lstrip("#").lower()


class ServiceAccountForm(forms.Form):
    app = forms.CharField(label=_("App (uid)"), max_length=255)
    access_holders_only = forms.BooleanField(label=_("Show the app only the users who may access it"), required=False)
