"""Events recorded during a request carry its client IP (trusted proxies only), user agent
and request id; events recorded outside a request carry none."""

from __future__ import annotations

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from apps.audit.actions import record_event
from apps.audit.models import Action, Event
from apps.core.middleware import RequestContextMiddleware


def audited_view(request):
    event = record_event(Action.USER_UPDATED, actor_name="admin", target_name="bob")
    return JsonResponse({"uuid": str(event.uuid)})


def run_request(**meta):
    request = RequestFactory().get("/", **meta)
    RequestContextMiddleware(audited_view)(request)
    return Event.objects.get()


@pytest.mark.django_db
def test_event_has_the_real_client_ip_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    event = run_request(
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.50",
        HTTP_USER_AGENT="Mozilla/5.0",
        HTTP_X_REQUEST_ID="trace-abcdef12",
    )
    assert event.ip == "203.0.113.50"
    assert event.user_agent == "Mozilla/5.0"
    assert event.request_id == "trace-abcdef12"


@pytest.mark.django_db
def test_forged_forwarded_for_from_a_client_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    event = run_request(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert event.ip == "198.51.100.9"
    assert len(event.request_id) == 32


@pytest.mark.django_db
def test_events_outside_a_request_have_no_request_facts():
    event = record_event(Action.AUDIT_PURGED, actor_name="system")
    assert (event.ip, event.user_agent, event.request_id) == (None, "", "")
