"""Input shapes of the Accounts area. Only shapes: the rules (formats, uniqueness, scope)
live in the directory and permissions actions, whose errors come back as field errors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.web.forms import NewPasswordForm
from apps.directory.csv_io import MAX_FILE_BYTES
from apps.directory.models import Gender

DATE_INPUT = {"type": "date"}
STATUS_CHOICES = (("", _("Any status")), ("active", _("Active")), ("disabled", _("Disabled")))
ROLE_CHOICES = (("", _("Any role")), ("admin", _("Administrators")), ("plain", _("Other accounts")))


class FilterForm(forms.Form):
    """The list's filters (GET). Groups come from the group picker (``group``, node uids) or
    a typed uid; both go to the directory's ``group_uids`` filter."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    group_uid = forms.CharField(label=_("Group uid"), max_length=200, required=False)
    descendants = forms.BooleanField(label=_("Include subgroups"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, required=False)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=forms.DateInput(attrs=DATE_INPUT))
    created_to = forms.DateField(label=_("Created until"), required=False, widget=forms.DateInput(attrs=DATE_INPUT))


# The directory filter's parameter -> the form field that shows its error.
PARAM_FIELDS = {
    "keyword": "q",
    "group_uids": "group_uid",
    "is_active": "status",
    "created__gte": "created_from",
    "created__lte": "created_to",
    "descendants": "descendants",
}


def directory_params(form: FilterForm, picked_groups: list[str]) -> dict[str, str]:
    """The form as ``apps.directory.queries.users.list_users`` parameters (the API's)."""
    data = form.cleaned_data
    params = {"keyword": data.get("q") or ""}
    groups = [*picked_groups, *([data["group_uid"].strip()] if data.get("group_uid") else [])]
    if groups:
        params["group_uids"] = ",".join(dict.fromkeys(groups))
        params["descendants"] = "true" if data.get("descendants") else "false"
    if data.get("status"):
        params["is_active"] = "true" if data["status"] == "active" else "false"
    if data.get("created_from"):
        params["created__gte"] = data["created_from"].isoformat()
    if data.get("created_to"):
        params["created__lte"] = data["created_to"].isoformat()
    return {key: value for key, value in params.items() if value}


class UserForm(forms.Form):
    """The fields the admin user API accepts (ADMIN_INPUT_FIELDS), minus the avatar upload."""

    username = forms.CharField(label=_("Username"), max_length=150)
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    private_email = forms.CharField(label=_("Private email"), max_length=254, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    gender = forms.TypedChoiceField(label=_("Gender"), choices=Gender.choices, coerce=int, initial=Gender.UNKNOWN)
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    employee_number = forms.CharField(label=_("Employee number"), max_length=64, required=False)
    hire_date = forms.DateField(label=_("Hire date"), required=False, widget=forms.DateInput(attrs=DATE_INPUT))
    remark = forms.CharField(
        label=_("Remark"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the username is immutable (update_user refuses a change)
            del self.fields["username"]

    def user_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("username", None)
        data["hire_date"] = data["hire_date"].isoformat() if data.get("hire_date") else ""
        return data


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("Initial password (optional)"),
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to invite the user instead; with one, they must change it at first login."),
    )


class SetPasswordForm(NewPasswordForm):
    """An administrator's reset: the user must change it at their next login."""


class ImportForm(forms.Form):
    users = forms.FileField(label=_("CSV file"), help_text=_("UTF-8 or GBK; the first row names the columns."))

    def clean_users(self):
        upload = self.cleaned_data["users"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("This file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload
