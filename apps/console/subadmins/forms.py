"""The sub-administrator group form. Members, the listed scope and the apps come from the
async pickers (checkboxes named ``members``, ``member_nodes``, ``users``, ``nodes``,
``apps``: the API's body keys), outside this Django form; it holds the plain fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.permissions.manager_scope import BASE_SYSTEM_PERMS
from apps.permissions.models import ManagerGroup

PERM_LABELS = {
    "system_user_create": _("Create users"),
    "system_category_create": _("Create group categories"),
    "system_app_create": _("Create apps"),
    "system_log_read": _("Read the audit log"),
    "system_config_write": _("Change settings"),
    "system_account_sync": _("Run the account sync"),
}
SCOPE_LABELS = {
    ManagerGroup.SCOPE_OWN_GROUPS: _("The groups each member belongs to, with their subgroups"),
    ManagerGroup.SCOPE_LISTED: _("The users and groups listed below, with their subgroups"),
}


class ManagerGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    uid = forms.SlugField(
        label=_("Identifier"),
        max_length=128,
        required=False,
        help_text=_("Letters, digits, '-' and '_'; made from the name when left blank. Cannot be changed later."),
    )
    remark = forms.CharField(
        label=_("Remark"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    scope_subject = forms.TypedChoiceField(
        label=_("Scope"),
        coerce=int,
        choices=list(SCOPE_LABELS.items()),
        initial=ManagerGroup.SCOPE_OWN_GROUPS,
        widget=forms.RadioSelect,
    )
    perms = forms.MultipleChoiceField(
        label=_("Base system permissions"),
        required=False,
        choices=[(uid, PERM_LABELS.get(uid, uid)) for uid in BASE_SYSTEM_PERMS],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["uid"]
