"""The real client IP, honouring X-Forwarded-For only from configured trusted proxies.

The header is read right to left: each hop appended by a trusted proxy is skipped, and the
first address not in the trusted list is the client. A forged header sent by the client is
therefore ignored, because it stands to the left of the address our own proxy appended.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(meta: dict) -> str | None:
    remote = meta.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not remote or not networks or not _is_trusted(remote, networks):
        return remote
    forwarded = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # garbage from an untrusted hop: fall back to what we saw
    return forwarded[0] if forwarded else remote


def in_networks(address: str, networks: list[str] | tuple[str, ...]) -> bool:
    """Whether ``address`` is in one of ``networks`` (addresses or CIDRs, e.g. TRUSTED_PROXIES)."""
    return _is_trusted(address, _networks(tuple(networks)))
