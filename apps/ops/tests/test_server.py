"""Reverse-proxy behaviour, HSTS, JSON logs and the gunicorn configuration."""

from __future__ import annotations

import json
import logging
import runpy
from pathlib import Path

import pytest
from django.test import override_settings

from apps.core import request_context
from apps.core.jsonlog import JsonFormatter

ROOT = Path(__file__).resolve().parents[3]
PROXY = {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"), "TRUSTED_PROXIES": ["10.0.0.0/8"]}


@override_settings(**PROXY, SECURE_SSL_REDIRECT=True)
def test_https_marker_believed_only_from_a_trusted_proxy(client):
    # A client talking to the server directly cannot claim HTTPS to dodge the redirect.
    direct = client.get("/siteapi/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="203.0.113.9")
    assert direct.status_code == 301 and direct["Location"].startswith("https://")
    proxied = client.get("/siteapi/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.2")
    assert proxied.status_code != 301


@override_settings(**PROXY, SECURE_SSL_REDIRECT=True)
def test_probes_are_exempt_from_the_https_redirect(client):
    assert client.get("/ping/", REMOTE_ADDR="10.0.0.2").status_code == 200


@override_settings(**PROXY, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_header_on_https_responses(client):
    response = client.get("/ping/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.2")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/ping/")


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("arkid.request", logging.INFO, __file__, 1, "GET %s", ("/ping/",), None)
    record.status = 200
    token = request_context.activate(request_context.RequestContext(request_id="abcdef123456", ip="192.0.2.1"))
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_context.reset(token)
    assert line["message"] == "GET /ping/"
    assert line["request_id"] == "abcdef123456" and line["client_ip"] == "192.0.2.1"
    assert line["status"] == 200 and line["level"] == "INFO" and line["logger"] == "arkid.request"


@pytest.mark.django_db
def test_request_log_line_written_with_route_and_status(client, settings, caplog):
    settings.REQUEST_LOG = True
    with caplog.at_level(logging.INFO, logger="arkid.request"):
        response = client.get("/ping/", HTTP_X_REQUEST_ID="req-0123456789")
    assert response["X-Request-ID"] == "req-0123456789"
    (record,) = [r for r in caplog.records if r.name == "arkid.request"]
    assert record.status == 200 and record.route == "ping/"


def test_gunicorn_config_reads_its_environment(monkeypatch):
    monkeypatch.setenv("ARKID_WEB_WORKERS", "3")
    monkeypatch.setenv("ARKID_WEB_THREADS", "6")
    monkeypatch.setenv("ARKID_TRUSTED_PROXIES", "10.0.0.0/8")
    conf = runpy.run_path(str(ROOT / "arkid" / "gunicorn_conf.py"))
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (3, 6, "gthread")
    assert conf["forwarded_allow_ips"] == "10.0.0.0/8"
    assert conf["bind"] == "0.0.0.0:8000" and conf["max_requests"] > 0
    assert conf["control_socket_disable"] is True  # no socket in a read-only $HOME


def test_gunicorn_config_clears_the_metrics_directory(monkeypatch, tmp_path):
    (tmp_path / "counter_1.db").write_text("stale")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(ROOT / "arkid" / "gunicorn_conf.py"))
    conf["on_starting"](None)
    assert list(tmp_path.iterdir()) == []
