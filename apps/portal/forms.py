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
    avatar = forms.CharField(label=_("Avatar URL"), max_length=512, required=False)


class ChangePasswordForm(NewPasswordForm):
    """The old password first; it is checked by the brute-force guard in the view's action."""

    old_password = forms.CharField(
        label=_("Current password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password", "confirm"]
