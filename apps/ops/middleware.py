"""Reverse-proxy hygiene, request metrics and the request log."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from apps.core import metrics
from apps.core.client_ip import in_networks

request_logger = logging.getLogger("arkid.request")


class UntrustedProxyHeaderMiddleware:
    """Drop the HTTPS-marker header (``ARKID_PROXY_SSL_HEADER``) unless a trusted proxy sent it.

    Django believes ``SECURE_PROXY_SSL_HEADER`` from anyone; a client that reaches the server
    directly could then claim HTTPS and receive Secure cookies over plain HTTP or skip the
    HTTPS redirect. Must come first in MIDDLEWARE, before SecurityMiddleware reads it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        claimed = bool(header) and header[0] in request.META
        if claimed and not in_networks(request.META.get("REMOTE_ADDR", ""), settings.TRUSTED_PROXIES):
            del request.META[header[0]]
        return self.get_response(request)


class MetricsMiddleware:
    """Count and time every request by its URL pattern (bounded label values), and log it.

    The route is the pattern that matched (``siteapi/v1/user/<str:username>/``), so a
    scan of random paths adds no new series: unmatched paths share one label.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.log_requests = getattr(settings, "REQUEST_LOG", False)

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "<unmatched>"
        metrics.observe_request(request.method, route, response.status_code, elapsed)
        if self.log_requests:
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={"status": response.status_code, "duration_ms": round(elapsed * 1000, 1), "route": route},
            )
        return response
