"""Rate limits on the anonymous credential endpoints (login, password change, invitations).

DRF's own client identification trusts any X-Forwarded-For header, so a client could pick a
fresh "IP" for every request; ours uses the address the request-context middleware resolved
through the configured trusted proxies only. Counters live in the Django cache (Redis in
production), so all web replicas share them. Per-account lockout with progressive delay is
the accounts issue's; this is the per-address ceiling in front of every password hash.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ClientIpScopedRateThrottle(ScopedRateThrottle):
    def get_rate(self):
        # Read at call time (not at import, as DRF does) so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return getattr(request._request, "client_ip", None) or request.META.get("REMOTE_ADDR", "")
