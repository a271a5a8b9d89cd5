"""The Settings area's pages, for the index and the tabs: shown only when their URL is mounted
(File storage is another area's page), like the console menu."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SettingsPage:
    key: str
    url_name: str
    title: str
    summary: str


PAGES = (
    SettingsPage(
        "accounts", "console-config-accounts", _("Registration and login"),
        _("Open or close registration, code logins by email or SMS, and the login sources such as DingTalk."),
    ),
    SettingsPage(
        "senders", "console-config-senders", _("Mail and SMS senders"),
        _("SMTP, Aliyun SMS or the development log sender, with a test send."),
    ),
    SettingsPage(
        "security", "console-config-security", _("Password and two-factor policy"),
        _("Password complexity rules and who must use two-factor authentication."),
    ),
    SettingsPage(
        "login_page", "console-config-login-page", _("Login page"),
        _("Logo, company name and primary colour, with a live preview."),
    ),
    SettingsPage("storage", "console-storage", _("File storage"), _("Where avatars and logos are stored.")),
    SettingsPage(
        "ldap", "console-config-ldap", _("LDAP"),
        _("The LDAP server's address and base DN, and the apps' service accounts."),
    ),
    SettingsPage(
        "oidc_keys", "console-config-oidc-keys", _("OIDC signing keys"),
        _("The keys that sign ID tokens, and their rotation."),
    ),
)  # fmt: skip


def mounted_pages(current: str = "") -> list[dict]:
    entries = []
    for page in PAGES:
        try:
            url = reverse(page.url_name)
        except NoReverseMatch:
            continue
        entries.append({"key": page.key, "url": url, "title": page.title, "summary": page.summary,
                        "current": page.key == current})  # fmt: skip
    return entries
