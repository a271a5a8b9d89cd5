from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.core import metrics

pytestmark = pytest.mark.django_db

LOGIN_URL = "/siteapi/oneid/ucenter/login/"


def _scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_pattern_not_raw_path(client):
    before = _scrape(client)
    client.get("/ping/")
    client.get("/no/such/path/12345")
    after = _scrape(client)

    key = {"method": "GET", "route": "ping/", "status": "200"}
    assert _value(after, "arkid_http_requests_total", **key) == _value(before, "arkid_http_requests_total", **key) + 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert _value(after, "arkid_http_requests_total", **unmatched) >= 1
    assert not any("12345" in str(labels) for _, labels in after)
    assert _value(after, "arkid_http_request_duration_seconds_count", method="GET", route="ping/") >= 1


def test_logins_are_counted_from_the_audit_events(client, api_client, user):
    before = _scrape(client)
    api_client.post(LOGIN_URL, {"username": "alice", "password": "Passw0rd!x"}, format="json")
    api_client.post(LOGIN_URL, {"username": "alice", "password": "wrong-password"}, format="json")
    after = _scrape(client)

    for outcome in ("success", "failure"):
        assert (
            _value(after, "arkid_logins_total", outcome=outcome)
            == _value(before, "arkid_logins_total", outcome=outcome) + 1
        )
    assert _value(after, "arkid_audit_events_total", action="auth.login_succeeded", outcome="success") >= 1


def test_helpers_for_other_apps_and_the_queue_gauge(client):
    metrics.token_grant("authorization_code", "success")
    metrics.ldap_operation("search", "success")
    metrics.sync_run("dingtalk", "failure")
    samples = _scrape(client)
    assert _value(samples, "arkid_token_grants_total", grant_type="authorization_code", outcome="success") >= 1
    assert _value(samples, "arkid_ldap_operations_total", operation="search", outcome="success") >= 1
    assert _value(samples, "arkid_sync_runs_total", source="dingtalk", outcome="failure") >= 1


def test_metrics_refused_outside_allowed_networks_unless_token(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_disabled_metrics_are_not_served_and_not_counted(client, settings):
    before = _scrape(client)
    settings.METRICS_ENABLED = False
    metrics.token_grant("password", "success")
    assert client.get("/metrics").status_code == 404
    settings.METRICS_ENABLED = True
    after = _scrape(client)
    assert _value(after, "arkid_token_grants_total", grant_type="password", outcome="success") == _value(
        before, "arkid_token_grants_total", grant_type="password", outcome="success"
    )


def test_multiprocess_mode_sums_the_files_of_every_process(tmp_path, monkeypatch, client):
    """The gunicorn setup: values in PROMETHEUS_MULTIPROC_DIR, read back by the view."""
    import subprocess
    import sys

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    script = (
        "from prometheus_client import Counter; "
        "c = Counter('arkid_logins_total', 'x', ['outcome']); c.labels('success').inc(3)"
    )
    for _ in range(2):  # two "workers"
        subprocess.run([sys.executable, "-c", script], check=True, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})  # noqa: S603
    samples = _scrape(client)
    assert _value(samples, "arkid_logins_total", outcome="success") == 6


def test_celery_queue_length_is_read_from_the_redis_broker(client, settings):
    import uuid

    from celery import current_app

    if not str(settings.CELERY_BROKER_URL).startswith("redis"):
        pytest.skip("needs the Redis broker (set ARKID_REDIS_URL)")
    queue = f"test-{uuid.uuid4().hex}"
    previous = current_app.conf.task_default_queue
    current_app.conf.task_default_queue = queue
    try:
        with current_app.connection_for_write() as conn:
            redis = conn.default_channel.client
            redis.lpush(queue, "a", "b", "c")
            try:
                samples = _scrape(client)
            finally:
                redis.delete(queue)
    finally:
        current_app.conf.task_default_queue = previous
    assert _value(samples, "arkid_celery_queue_length", queue=queue) == 3


def test_a_failing_metric_never_fails_the_write_it_counts(monkeypatch, user, caplog):
    """A full or missing multiprocess directory raises OSError on increment: logged, not raised."""
    from apps.audit.actions import record_event
    from apps.audit.models import Action, Event

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(metrics.EVENTS, "labels", broken)
    record_event(Action.USER_UPDATED, target=user)
    assert Event.objects.filter(action=Action.USER_UPDATED, target_id=str(user.pk)).exists()
    assert "metric observe_events not recorded" in caplog.text


def test_last_sync_outcomes_are_read_from_the_recorded_runs(client):
    from datetime import UTC, datetime

    from apps.dingtalk.models import SyncRun

    stamp = "arkid_sync_last_finished_timestamp_seconds"
    assert _value(_scrape(client), stamp, source="dingtalk", outcome="succeeded") == 0.0  # never synced
    when = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    SyncRun.objects.create(status=SyncRun.Status.SUCCEEDED, finished=when)
    SyncRun.objects.create(status=SyncRun.Status.FAILED, finished=when.replace(hour=9))
    SyncRun.objects.create(status=SyncRun.Status.RUNNING)  # not finished: not reported
    samples = _scrape(client)
    assert _value(samples, stamp, source="dingtalk", outcome="succeeded") == when.timestamp()
    assert _value(samples, stamp, source="dingtalk", outcome="failed") == when.replace(hour=9).timestamp()
    assert _value(samples, stamp, source="dingtalk", outcome="running") == 0.0
