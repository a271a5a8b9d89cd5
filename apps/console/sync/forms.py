"""The DingTalk settings form. Secrets are write-only: the form never shows them, and a blank
secret field keeps the stored value. Fields set by ``ARKID_DINGTALK_*`` variables are shown
disabled (the action would refuse them)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.dingtalk.actions import SECRET_FIELDS

MAX_INTERVAL = 7 * 24 * 60


class DingTalkSettingsForm(forms.Form):
    app_key = forms.CharField(label=_("AppKey"), max_length=128, required=False)
    app_secret = forms.CharField(
        label=_("AppSecret"), max_length=512, required=False, widget=forms.PasswordInput(render_value=False)
    )
    corp_id = forms.CharField(label=_("CorpId"), max_length=64, required=False)
    callback_token = forms.CharField(
        label=_("Event callback token"), max_length=128, required=False, widget=forms.PasswordInput()
    )
    callback_aes_key = forms.CharField(
        label=_("Event callback EncodingAESKey"),
        max_length=43,
        required=False,
        widget=forms.PasswordInput(),
        help_text=_("43 letters and digits."),
    )
    sync_interval_minutes = forms.IntegerField(
        label=_("Minutes between scheduled full syncs"),
        min_value=0,
        max_value=MAX_INTERVAL,
        help_text=_("0 turns the schedule off."),
    )
    push_back = forms.BooleanField(label=_("Push changes made here back to DingTalk"), required=False)
    match_by_mobile = forms.BooleanField(label=_("Link new DingTalk members to local users by mobile"), required=False)
    match_by_email = forms.BooleanField(label=_("Link new DingTalk members to local users by email"), required=False)
    login_provisioning = forms.BooleanField(
        label=_("Create an account when a member without one signs in with DingTalk"), required=False
    )

    def __init__(self, *args, stored_secrets: dict[str, bool], overridden: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.overridden = set(overridden)
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.widget.attrs["autocomplete"] = "new-password"
            if stored_secrets.get(name):
                field.widget.attrs["placeholder"] = str(_("Stored — leave blank to keep"))
        for name in self.overridden & set(self.fields):
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Set by an ARKID_DINGTALK_* environment variable.")

    def changes(self) -> dict:
        """What to hand to the action: every field except overridden ones and blank secrets."""
        data = self.cleaned_data
        return {
            name: value
            for name, value in data.items()
            if name not in self.overridden and not (name in SECRET_FIELDS and not value)
        }
