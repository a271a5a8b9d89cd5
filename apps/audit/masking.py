"""Masking of secrets in audit payloads.

Field names are split into words (``new_password``, ``oldPassword``, ``client-secret`` →
``new password``, ``old password``, ``client secret``) and masked when a word is sensitive,
so v1's misses (``new_password``, spaced JSON) are caught while ``postcode`` is not. Only
text is masked: a boolean such as ``must_reset_password`` carries no secret and stays
readable. Masking walks nested dicts and lists instead of regex-matching serialised JSON.
"""

from __future__ import annotations

import functools
import re

MASK = "******"
_SENSITIVE_WORDS = {"password", "passwd", "secret", "token", "key", "code", "credential", "otp", "totp"}
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@functools.lru_cache(maxsize=4096)  # field names are few; bulk writes ask about them per row
def is_sensitive(name: str) -> bool:
    words = (word.lower() for word in _WORD.findall(name))
    return any(word in _SENSITIVE_WORDS or word.removesuffix("s") in _SENSITIVE_WORDS for word in words)


def mask(value, *, key: str = ""):
    if isinstance(value, dict):
        return {k: mask(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v, key=key) for v in value]
    if key and isinstance(value, str) and value and is_sensitive(key):
        return MASK
    return value
