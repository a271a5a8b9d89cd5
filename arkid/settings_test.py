"""Test settings: the real settings plus a fast password hasher.

Argon2 is exercised by tests that opt in with the ``real_password_hasher`` fixture and by
bench/; everything else would spend most of its time hashing.
"""

from arkid.settings import *  # noqa: F403

# One process: the local-memory cache is as shared as Redis, so the result caches are on
# (and tested) on SQLite too.
SHARED_CACHE = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
