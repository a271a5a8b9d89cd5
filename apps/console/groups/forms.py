"""Input shapes of the Groups area. Only parsing here: the rules (slugs, taken uids, cycles,
empty groups, scopes) are the directory's and the permissions app's actions'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.directory.models import Visibility

NODE_UID_MAX = 140
USERNAME_MAX = 150
PICKED_MAX = 1000  # the API's bound on visibility lists and member changes


class PickedList(forms.Field):
    """The checkboxes of a picker: every submitted value of the field (``getlist``)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_length: int, limit: int = PICKED_MAX, **kwargs):
        self.max_length, self.limit = max_length, limit
        super().__init__(**kwargs)

    def to_python(self, value):
        values = [str(v).strip() for v in (value or []) if str(v).strip()]
        values = list(dict.fromkeys(values))
        if len(values) > self.limit:
            raise forms.ValidationError(_("Pick at most %(n)d.") % {"n": self.limit})
        if any(len(v) > self.max_length for v in values):
            raise forms.ValidationError(_("A picked value is too long."))
        return values

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class GroupTypeForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("group", "Name"), max_length=128)
    key = forms.CharField(
        label=_("Key"),
        max_length=64,
        required=False,
        help_text=_("Lower-case letters, digits, '-' and '_'; made from the name when blank."),
    )


class RenameTypeForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("group", "Name"), max_length=128)


class GroupCreateForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("group", "Name"), max_length=255)
    uid = forms.CharField(label=_("Uid"), max_length=128, required=False, help_text=_("Made from the name when blank."))
    remark = forms.CharField(label=_("Remark"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.TypedChoiceField(
        label=_("Visible to"), choices=Visibility.choices, coerce=int, initial=Visibility.EVERYONE
    )


class GroupEditForm(forms.Form):
    """The uid is fixed once created (clients address groups by it), so it is not here."""

    name = forms.CharField(label=pgettext_lazy("group", "Name"), max_length=255)
    remark = forms.CharField(label=_("Remark"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class VisibilityForm(forms.Form):
    visibility = forms.TypedChoiceField(
        label=_("Visible to"), choices=Visibility.choices, coerce=int, widget=forms.RadioSelect
    )
    node_scope = PickedList(max_length=NODE_UID_MAX, required=False)
    user_scope = PickedList(max_length=USERNAME_MAX, required=False)


class MoveForm(forms.Form):
    parent = PickedList(max_length=NODE_UID_MAX, limit=1, required=False)
    to_top = forms.BooleanField(label=_("Move to the top level of the tree"), required=False)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("to_top") and not data.get("parent"):
            self.add_error("parent", _("Pick the new parent group."))
        return data


class OrderForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down"), ("set", "set")])
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=1_000_000, required=False)

    def clean(self):
        data = super().clean()
        if data.get("direction") == "set" and not data.get("position"):
            self.add_error("position", _("Give the position (1 is first)."))
        return data


class AddMembersForm(forms.Form):
    users = PickedList(max_length=USERNAME_MAX)


class MemberActionForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX)


class MoveMemberForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX)
    target = PickedList(max_length=NODE_UID_MAX, limit=1, required=True)


class PermStatusForm(forms.Form):
    perm = forms.CharField(max_length=255)
    status = forms.TypedChoiceField(choices=[(1, "grant"), (-1, "deny"), (0, "inherit")], coerce=int)
