"""The OpenAPI schema is generated from the code for every endpoint, without warnings, and
the browsable docs load their assets from our own static files (no CDN)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]
SWAGGER_JS = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"


@pytest.mark.slow
def test_schema_generates_and_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`, in a fresh process so the
    generator's global warning counters start at zero."""
    out = tmp_path / "schema.yaml"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.setdefault("ARKID_VAR_DIR", str(tmp_path / "var"))
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out)],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "arkid.settings_test"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    problems = sorted({line for line in result.stderr.splitlines() if re.search(r"(Warning|Error)\b", line)})
    assert result.returncode == 0, "schema warnings/errors:\n" + "\n".join(problems or [result.stderr[-3000:]])
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")


@pytest.mark.django_db
def test_schema_endpoint_serves_both_prefixes(client):
    response = client.get("/siteapi/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for prefix in ("/siteapi/oneid/", "/siteapi/v1/"):
        assert f"{prefix}log/" in paths
        assert f"{prefix}log/{{uuid}}/" in paths
        assert f"{prefix}meta/log/" in paths
    unprefixed = [p for p in paths if not p.startswith(("/siteapi/oneid/", "/siteapi/v1/"))]
    assert unprefixed == []


@pytest.mark.django_db
def test_docs_page_references_our_static_files_only(client):
    response = client.get("/siteapi/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert SWAGGER_JS in html
    assert "/siteapi/schema/" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis"):
        assert cdn not in html


@pytest.mark.django_db
def test_static_assets_are_served_with_debug_off(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    response = Client().get(SWAGGER_JS)  # a new client builds the middleware (WhiteNoise) afresh

    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert b"SwaggerUIBundle" in b"".join(response.streaming_content)
