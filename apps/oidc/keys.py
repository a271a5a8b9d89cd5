"""ID token signing keys: one active key per algorithm (RS256, ES256), created on first use,
rotated by ``manage.py rotate_oidc_keys``. Retired keys stay in the JWKS until the ID tokens
they signed have expired (``ID_TOKEN_EXPIRE_SECONDS``), then drop out.

Parsed keys are cached per process by kid (decrypting and parsing a PEM on every token would
cost more than signing); a rotation is seen by other processes within ``_TTL`` seconds.

:func:`sign` makes the compact JWS of an ID token with ``cryptography`` directly: jwcrypto's
JWT object deep-copies its key and headers and re-validates them on every token, which cost
about as much as the RSA signature itself (bench/bench_oidc.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
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
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


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
        pem = row.private_pem.encode()
        private = serialization.load_pem_private_key(pem, password=None)
        loaded = _parsed[row.kid] = LoadedKey(row.kid, row.algorithm, jwk.JWK.from_pem(pem), private)
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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":"), default=str).encode()


@functools.lru_cache(maxsize=64)
def _encoded_header(typ: str, algorithm: str, kid: str) -> str:
    """The JWS header's encoding: the same few bytes for every token a key signs."""
    return _b64(_json({"typ": typ, "alg": algorithm, "kid": kid}))


def sign(key: LoadedKey, claims: dict, *, typ: str = "JWT") -> str:
    """The compact JWS (RFC 7515) of ``claims``, signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256)
    or ES256 (ECDSA P-256 with SHA-256, the signature as R || S, RFC 7518 3.4)."""
    signing_input = f"{_encoded_header(typ, key.algorithm, key.kid)}.{_b64(_json(claims))}".encode()
    if key.algorithm == "ES256":
        r, s = decode_dss_signature(key.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif key.algorithm == "RS256":
        signature = key.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(f"unsupported signing algorithm {key.algorithm!r}")
    return f"{signing_input.decode()}.{_b64(signature)}"


def forget_cached() -> None:
    """Make this process read the active keys again (after a rotation, in tests)."""
    _active.clear()
