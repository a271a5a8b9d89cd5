"""Fixed-window counters in the shared cache (atomic ``incr``), for sends and captchas."""

from __future__ import annotations

from django.core.cache import cache

PREFIX = "accounts:rl"


def hit(bucket: str, key: str, window: int) -> int:
    """Count one event for ``key`` in ``bucket``; the count within the current window."""
    name = f"{PREFIX}:{bucket}:{key}"
    cache.add(name, 0, timeout=window)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window)
        return 1


def count(bucket: str, key: str) -> int:
    return cache.get(f"{PREFIX}:{bucket}:{key}") or 0
