"""The console's navigation: one entry per area, shown only to those who may use it.

Areas register by URL name; an area whose URL is not mounted is left out, so the menu never
links to a page that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from apps.directory.scope import ManageScope

ADMIN_ONLY = "__admin__"


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    url_name: str
    perm: str | None = None  # a system permission uid, ADMIN_ONLY, or None (every manager)

    def allowed(self, scope: ManageScope) -> bool:
        if self.perm == ADMIN_ONLY:
            return scope.is_admin
        return scope.can_manage and (self.perm is None or scope.holds(self.perm))


AREAS = (
    Area("dashboard", _("Overview"), "console-home"),
    Area("accounts", _("Accounts"), "console-accounts"),
    Area("groups", _("Groups"), "console-groups"),
    Area("apps", _("Apps"), "console-apps"),
    Area("sync", _("Account sync"), "console-sync", "system_account_sync"),
    Area("subadmins", _("Sub-admins"), "console-subadmins", ADMIN_ONLY),
    Area("config", _("Settings"), "console-config", "system_config_write"),
    Area("audit", _("Audit log"), "console-audit", "system_log_read"),
)


def area_url(area: Area) -> str | None:
    try:
        return reverse(area.url_name)
    except NoReverseMatch:
        return None


def nav_for(scope: ManageScope, current: str) -> list[dict]:
    entries = []
    for area in AREAS:
        url = area_url(area) if area.allowed(scope) else None
        if url:
            entries.append({"key": area.key, "label": area.label, "url": url, "current": area.key == current})
    return entries
