"""Portal forms: input shape only; the rules live in the directory and accounts actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.web.forms import NewPasswordForm
from apps.directory.models import Gender


class ProfileForm(forms.Form):
    """The fields an employee may change on their own profile (PROFILE_INPUT_FIELDS)."""

    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    gender = forms.TypedChoiceField(label=_("Gender"), choices=Gender.choices, coerce=int)


class AvatarForm(forms.Form):
    """The image is checked by content in apps.storage (the browser's type is only a hint)."""

    file = forms.FileField(
        label=_("New avatar"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )


class ChangePasswordForm(NewPasswordForm):
    """The old password first; it is checked by the brute-force guard in the view's action."""

    old_password = forms.CharField(
        label=_("Current password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password", "confirm"]


class MfaCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
    )


class MfaDisableForm(forms.Form):
    password = forms.CharField(
        label=_("Current password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ContactAddressForm(forms.Form):
    """Step 1 of changing the mobile or private email: the new address and the password again
    (seed: 验证登录密码); a code goes to the new address."""

    channel = forms.ChoiceField(label=_("What to change"), choices=[("sms", _("Mobile")), ("email", _("Email"))])
    address = forms.CharField(label=_("New mobile number or email address"), max_length=254)
    password = forms.CharField(
        label=_("Current password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    captcha = forms.CharField(label=_("Characters in the image"), max_length=16, required=False)
    captcha_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [c for c in self.fields["channel"].choices if c[0] in channels]


class ContactCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
