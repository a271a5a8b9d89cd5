"""Rendering helpers shared by the Settings area's views."""

from __future__ import annotations

from apps.console.config.pages import mounted_pages
from apps.console.web import render_console

SECTION = "config"
PERM = "system_config_write"


def render_settings(request, template: str, context: dict | None = None, *, page: str = "", status: int = 200):
    context = {"settings_pages": mounted_pages(page), "settings_page": page, **(context or {})}
    return render_console(request, template, context, section=SECTION, status=status)
