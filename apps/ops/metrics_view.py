"""GET /metrics: Prometheus exposition, for a bearer token or from allowed networks only.

Metrics reveal traffic volumes and login failure rates, so they are not public: the scrape
must carry ``Authorization: Bearer <ARKID_METRICS_TOKEN>`` or come from a network listed in
``ARKID_METRICS_ALLOWED_NETWORKS`` (loopback by default). Under gunicorn every worker
writes to ``PROMETHEUS_MULTIPROC_DIR`` and the answer sums all of them, so whichever worker
serves the scrape reports the whole replica.
"""

from __future__ import annotations

import hmac
import logging
import os

from celery import current_app
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from apps.core.client_ip import in_networks

logger = logging.getLogger(__name__)


class CeleryQueueCollector:
    """Tasks waiting in the Celery queues, read from the broker at scrape time (Redis only:
    a Redis list per queue; other brokers report nothing rather than a wrong number)."""

    def collect(self):
        gauge = GaugeMetricFamily("arkid_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        if str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://")):
            queues = [q.name for q in (current_app.conf.task_queues or [])] or [current_app.conf.task_default_queue]
            try:
                with current_app.connection_for_read() as conn:
                    client = conn.default_channel.client
                    for queue in queues:
                        gauge.add_metric([queue], client.llen(queue))
            except Exception as exc:  # noqa: BLE001 - a scrape reports what it can, never a 500
                logger.warning("celery queue length unavailable: %s", exc)
        yield gauge


class SyncRunCollector:
    """When each kind of DingTalk sync outcome last happened, read from the recorded runs at
    scrape time. Syncs run in the Celery worker, which is not scraped, so its counters never
    reach this endpoint; an alert on "no success for N hours" needs only this gauge."""

    def collect(self):
        from django.db.models import Max

        from apps.dingtalk.models import SyncRun

        gauge = GaugeMetricFamily(
            "arkid_sync_last_finished_timestamp_seconds",
            "When a directory sync last finished, by source and outcome (Unix time)",
            labels=["source", "outcome"],
        )
        try:
            rows = SyncRun.objects.filter(finished__isnull=False).values("status").annotate(last=Max("finished"))
            for row in rows:
                gauge.add_metric(["dingtalk", row["status"]], row["last"].timestamp())
        except Exception as exc:  # noqa: BLE001 - a scrape reports what it can, never a 500
            logger.warning("sync runs unavailable: %s", exc)
        yield gauge


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    return in_networks(request.client_ip or "", settings.METRICS_ALLOWED_NETWORKS)


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessRegistry())
    registry.register(CeleryQueueCollector())
    registry.register(SyncRunCollector())
    return registry


class _ProcessRegistry:
    """This process's own metrics (no multiprocess directory), next to the queue gauge."""

    def collect(self):
        yield from REGISTRY.collect()


@require_GET
def metrics(request):
    if not settings.METRICS_ENABLED:
        return JsonResponse({"detail": "Metrics are disabled.", "code": "not_found"}, status=404)
    if not _allowed(request):
        return JsonResponse({"detail": "Not allowed to read metrics.", "code": "permission_denied"}, status=403)
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
