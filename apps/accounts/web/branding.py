"""What the login page shows of the organisation: logo, name and primary colour."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import get_language

from apps.directory.models import Organization

DEFAULT_COLOUR = "#006064"
# The colour lands inside a <style> block, where HTML escaping does not protect: accept a
# plain hex colour and nothing else.
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Branding:
    name: str
    logo: str
    colour: str


def valid_colour(value: str) -> str | None:
    """``value`` as ``#rrggbb``/``#rgb`` when it is a plain hex colour (with or without ``#``),
    else None: what forms use to refuse a colour the login page would not show."""
    match = _HEX.fullmatch((value or "").strip())
    return f"#{match.group(1)}" if match else None


def css_colour(value: str) -> str:
    return valid_colour(value) or DEFAULT_COLOUR


def safe_logo(url: str) -> str:
    """Only http(s) or same-site paths: a ``javascript:`` URL must not reach ``src``."""
    url = (url or "").strip()
    return url if url.startswith(("https://", "http://", "/")) and not url.startswith("//") else ""


def current_branding() -> Branding:
    # Read-only: a public page must not create the singleton row.
    org = Organization.objects.filter(pk=1).first() or Organization()
    english = (get_language() or "").startswith("en")
    name = (org.name_en if english else "") or org.name or org.name_en or "ArkID"
    return Branding(name=name, logo=safe_logo(org.icon), colour=css_colour(org.color))
