"""Masking of secrets in audit payloads.

Keys are matched by substring on a normalised name, so ``new_password``, ``oldPassword``,
``client_secret`` and ``sms_token`` are all caught — ArkID v1's regex missed the first two.
Masking walks nested dicts and lists instead of regex-matching serialised JSON.
"""

from __future__ import annotations

MASK = "******"
_SENSITIVE = ("password", "secret", "token", "key", "code", "credential", "otp", "totp")


def is_sensitive(name: str) -> bool:
    normalised = name.lower().replace("-", "_")
    return any(word in normalised for word in _SENSITIVE)


def mask(value, *, key: str = ""):
    if key and is_sensitive(key):
        return MASK if value not in (None, "") else value
    if isinstance(value, dict):
        return {k: mask(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value
