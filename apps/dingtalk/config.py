"""The effective DingTalk configuration: ``ARKID_DINGTALK_*`` settings first, else the admin config."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from apps.dingtalk.models import DingTalkSettings


@dataclass(frozen=True)
class DingTalkConfig:
    app_key: str
    app_secret: str
    corp_id: str
    callback_token: str
    callback_aes_key: str
    sync_interval_minutes: int
    match_by_mobile: bool
    match_by_email: bool
    push_back: bool
    login_provisioning: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.app_key and self.app_secret)


# Which fields a variable overrides; the admin API reports these as read-only.
ENV_OVERRIDES = {
    "app_key": "DINGTALK_APP_KEY",
    "app_secret": "DINGTALK_APP_SECRET",
    "corp_id": "DINGTALK_CORP_ID",
    "callback_token": "DINGTALK_CALLBACK_TOKEN",
    "callback_aes_key": "DINGTALK_CALLBACK_AES_KEY",
    "sync_interval_minutes": "DINGTALK_SYNC_INTERVAL",
    "push_back": "DINGTALK_PUSH_BACK",
}


def overridden_fields() -> list[str]:
    return [field for field, name in ENV_OVERRIDES.items() if getattr(settings, name, None) not in (None, "")]


def _coerce(field: str, value):
    if field == "sync_interval_minutes":
        return int(value)
    if field == "push_back":
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    return str(value)


def current() -> DingTalkConfig:
    # Read-only (defaults when the row does not exist yet): public pages (the login page,
    # meta/) read this and must not write.
    row = DingTalkSettings.objects.filter(pk=1).first() or DingTalkSettings()
    values = {
        field: getattr(row, field)
        for field in (
            "app_key",
            "app_secret",
            "corp_id",
            "callback_token",
            "callback_aes_key",
            "sync_interval_minutes",
            "match_by_mobile",
            "match_by_email",
            "push_back",
            "login_provisioning",
        )
    }
    for field in overridden_fields():
        values[field] = _coerce(field, getattr(settings, ENV_OVERRIDES[field]))
    return DingTalkConfig(**values)
