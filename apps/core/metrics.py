"""Prometheus counters that any app bumps: ``metrics.token_grant("authorization_code", "success")``.

One module owns every metric, so names, labels and help texts stay consistent and each
label has a small, fixed set of values (a route pattern, never a raw path; an audit action
from the ``Action`` enum, never free text). With ``ARKID_METRICS=false`` every helper
returns at the first line, so callers never need to check.

Under gunicorn and Celery the values live in ``PROMETHEUS_MULTIPROC_DIR`` (one file per
process, summed when /metrics is scraped, see apps.ops.metrics_view); without it they are
per-process memory, which is what the tests and ``manage.py runserver`` use.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from django.conf import settings
from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "arkid_http_requests_total", "HTTP requests answered, by route pattern and status", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "arkid_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EVENTS = Counter("arkid_audit_events_total", "Audit events recorded, by action and outcome", ["action", "outcome"])
LOGINS = Counter("arkid_logins_total", "Password logins, by outcome (success or failure)", ["outcome"])
TOKEN_GRANTS = Counter("arkid_token_grants_total", "OAuth 2.0 token endpoint grants", ["grant_type", "outcome"])
LDAP_OPERATIONS = Counter("arkid_ldap_operations_total", "LDAP operations served", ["operation", "outcome"])
SYNC_RUNS = Counter("arkid_sync_runs_total", "Directory synchronisation runs", ["source", "outcome"])

_LOGIN_ACTIONS = {"auth.login_succeeded": "success", "auth.login_failed": "failure"}
logger = logging.getLogger(__name__)


def _never_raises(func):
    """Counting is never worth failing the request or the write it counts (a full or missing
    multiprocess directory raises OSError): log and go on."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            func(*args, **kwargs)
        except Exception:  # noqa: BLE001
            logger.warning("metric %s not recorded", func.__name__, exc_info=True)

    return wrapper


def enabled() -> bool:
    return getattr(settings, "METRICS_ENABLED", True)


@_never_raises
def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    if not enabled():
        return
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)


@_never_raises
def observe_events(pairs: Iterable[tuple[str, str]]) -> None:
    """Count recorded audit events given as (action, outcome); logins are counted from here,
    so every login path that audits (password, OIDC, DingTalk) is counted once."""
    if not enabled():
        return
    for action, outcome in pairs:
        EVENTS.labels(action, outcome).inc()
        if action in _LOGIN_ACTIONS:
            LOGINS.labels(_LOGIN_ACTIONS[action]).inc()


@_never_raises
def token_grant(grant_type: str, outcome: str) -> None:
    if enabled():
        TOKEN_GRANTS.labels(grant_type, outcome).inc()


@_never_raises
def ldap_operation(operation: str, outcome: str) -> None:
    if enabled():
        LDAP_OPERATIONS.labels(operation, outcome).inc()


@_never_raises
def sync_run(source: str, outcome: str) -> None:
    if enabled():
        SYNC_RUNS.labels(source, outcome).inc()
