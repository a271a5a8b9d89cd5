"""ID token signing keys: one active key per algorithm (RS256, ES256), created on first use,
rotated by ``manage.py rotate_oidc_keys``. Retired keys stay in the JWKS until the ID tokens
they signed have expired (``ID_TOKEN_EXPIRE_SECONDS``), then drop out.

Parsed keys are cached per process by kid (decrypting and parsing a PEM on every token would
cost more than signing); a rotation is seen by other processes within ``_TTL`` seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

from apps.oidc.models import SigningKey

ALGORITHMS = ("RS256", "ES256")
_TTL = 30.0  # seconds a process trusts its idea of the active key


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    algorithm: str
    jwk: jwk.JWK


_parsed: dict[str, LoadedKey] = {}
_active: dict[str, tuple[float, LoadedKey]] = {}


def _generate_pem(algorithm: str) -> str:
    if algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _load(row: SigningKey) -> LoadedKey:
    loaded = _parsed.get(row.kid)
    if loaded is None:
        key = jwk.JWK.from_pem(row.private_pem.encode())
        loaded = _parsed[row.kid] = LoadedKey(row.kid, row.algorithm, key)
    return loaded


def create_key(algorithm: str) -> SigningKey:
    pem = _generate_pem(algorithm)
    kid = jwk.JWK.from_pem(pem.encode()).thumbprint()
    return SigningKey.objects.create(kid=kid, algorithm=algorithm, private_pem=pem)


def _current_row(algorithm: str) -> SigningKey:
    row = SigningKey.objects.filter(algorithm=algorithm, retired__isnull=True).order_by("-id").first()
    if row is not None:
        return row
    # Two processes racing on the very first key both create one: harmless, both are active
    # and published, and every process settles on the newest within _TTL.
    return create_key(algorithm)


def active_key(algorithm: str) -> LoadedKey:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}")
    cached = _active.get(algorithm)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    loaded = _load(_current_row(algorithm))
    _active[algorithm] = (time.monotonic() + _TTL, loaded)
    return loaded


def key_by_kid(kid: str) -> LoadedKey | None:
    if kid in _parsed:
        return _parsed[kid]
    row = SigningKey.objects.filter(kid=kid).first()
    return _load(row) if row is not None else None


def published_rows():
    """Active keys and the retired keys whose tokens may still be valid."""
    cutoff = timezone.now() - dt.timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)
    return SigningKey.objects.filter(retired__isnull=True) | SigningKey.objects.filter(retired__gt=cutoff)


def jwks() -> dict:
    keys = []
    for row in published_rows().order_by("-id"):
        loaded = _load(row)
        data = json.loads(loaded.jwk.export_public())
        keys.append({**data, "alg": row.algorithm, "use": "sig", "kid": row.kid})
    return {"keys": keys}


def forget_cached() -> None:
    """Make this process read the active keys again (after a rotation, in tests)."""
    _active.clear()
