"""An optional short cache of successful user binds (``ARKID_LDAP_BIND_CACHE_SECONDS``, 0: off).

Apps that log every request in with LDAP bind the same user with the same password again and
again; each bind costs an Argon2id hash. A cached bind skips the hash (it is still audited).
Keys are the normalised DN and an HMAC of the password under a key made at process start, so
the cache never holds a password or a reusable hash. Any user change read by the change feed
(password change, deactivation, deletion, rename) empties the whole cache: it is short-lived
and user changes are rare next to binds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from apps.ldap_server import matching

MAX_ENTRIES = 10000


class BindCache:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self._key = os.urandom(32)
        self._entries: dict[tuple[str, bytes], tuple[float, object]] = {}

    def _slot(self, dn: str, password: str) -> tuple[str, bytes]:
        return matching.normalize_dn(dn), hmac.new(self._key, password.encode(), hashlib.sha256).digest()

    def get(self, dn: str, password: str):
        if not self.seconds:
            return None
        hit = self._entries.get(self._slot(dn, password))
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, dn: str, password: str, principal) -> None:
        if not self.seconds:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[self._slot(dn, password)] = (time.monotonic() + self.seconds, principal)

    def clear(self) -> None:
        self._entries.clear()
