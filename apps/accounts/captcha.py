"""Image captcha asked for after repeated code sends from one client IP.

The answer lives only in the cache, for ``TTL`` seconds, and a challenge is checked once:
right or wrong, the key is gone, so one image cannot be guessed at repeatedly. Images come
from the pure-Python ``captcha`` package (Pillow).
"""

from __future__ import annotations

import hmac
import secrets

from django.core.cache import cache

TTL = 300
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LENGTH = 5
PREFIX = "accounts:captcha"


def new_challenge() -> str:
    key = secrets.token_urlsafe(16)
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    cache.set(f"{PREFIX}:{key}", answer, TTL)
    return key


def render_png(key: str) -> bytes | None:
    from captcha.image import ImageCaptcha  # noqa: PLC0415 - Pillow only when an image is asked for

    answer = cache.get(f"{PREFIX}:{key}")
    if answer is None:
        return None
    return ImageCaptcha(width=160, height=60).generate(answer).getvalue()


def answer_for_tests(key: str) -> str | None:
    """The expected answer (tests only: the API never returns it)."""
    return cache.get(f"{PREFIX}:{key}")


def check(key: str, answer: str) -> bool:
    if not key or not answer:
        return False
    expected = cache.get(f"{PREFIX}:{key}")
    cache.delete(f"{PREFIX}:{key}")
    return expected is not None and hmac.compare_digest(expected, answer.strip().upper())
