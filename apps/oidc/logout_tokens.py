"""OIDC Back-Channel Logout 1.0 logout tokens: a signed JWT telling an app that the user's
session at ArkID ended (``sub``, no ``nonce``, the back-channel logout event)."""

from __future__ import annotations

import time
import uuid

from django.conf import settings

from apps.oidc import keys

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(client_id: str, subject: str, algorithm: str = "RS256") -> str:
    key = keys.active_key(algorithm)
    now = int(time.time())
    claims = {
        "iss": settings.BASE_URL,
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": subject,
        "events": {EVENT: {}},
    }
    return keys.sign(key, claims, typ="logout+jwt")
