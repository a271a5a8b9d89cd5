"""The client secret hasher: salted SHA-256.

A password hasher (Argon2) is built to be slow because passwords are guessable; client secrets
are 128 random characters from DOT's generator, so a slow hash only makes every token request
cost tens of milliseconds without adding any safety. Django ships no salted SHA-256 hasher
(only unsalted/legacy ones), hence these few lines. It is listed LAST in PASSWORD_HASHERS so
user passwords keep Argon2 (Django hashes new passwords with the first entry).
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _


class ClientSecretHasher(BasePasswordHasher):
    algorithm = "arkid_client_sha256"

    def encode(self, password: str, salt: str) -> str:
        self._check_encode_args(password, salt)
        digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError(f"not an {self.algorithm} hash")
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {_("algorithm"): decoded["algorithm"], _("salt"): mask_hash(decoded["salt"]), _("hash"): "…"}

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
