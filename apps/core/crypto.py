"""Encryption of secrets at rest (provider secrets, SMTP passwords, ...).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, wrapped in MultiFernet so keys can
be rotated: ARKID_ENCRYPTION_KEYS lists keys newest first; each value is re-encrypted under
the newest key when saved again. Without explicit keys one is derived from SECRET_KEY with
HKDF, so a stolen database alone does not reveal secrets.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


def _derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"arkid-at-rest", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    material = [k.encode() for k in keys] or [_derive_key(secret_key)]
    return MultiFernet([Fernet(k) for k in material])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError("secret cannot be decrypted with the configured keys") from None


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code only ever sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
