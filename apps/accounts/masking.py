"""Partial display of contact details on public pages (the invitation landing page)."""

from __future__ import annotations

KEEP_TAIL = 4


def mask_mobile(mobile: str) -> str:
    """``+8618812345678`` → ``+86188****5678``: enough to recognise, not to dial."""
    if not mobile:
        return ""
    length = len(mobile)
    if length <= KEEP_TAIL + 2:
        return "*" * length
    # Show up to 6 leading characters (country code and carrier prefix), always hiding at least 4.
    head = max(1, min(6, length - KEEP_TAIL - 4))
    return mobile[:head] + "*" * (length - head - KEEP_TAIL) + mobile[-KEEP_TAIL:]


def mask_email(email: str) -> str:
    """``alice@example.com`` → ``a***@example.com``."""
    if not email or "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
