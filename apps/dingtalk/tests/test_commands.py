"""``dingtalk_sync`` and ``dingtalk_emulator`` as an operator runs them, and the beat tick."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.core.tests.net import free_port
from apps.dingtalk.models import DingTalkSettings, SyncRun
from apps.dingtalk.tasks import sync_tick

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_dingtalk_sync_prints_a_summary(emulator):
    out = StringIO()
    call_command("dingtalk_sync", stdout=out)
    text = out.getvalue()
    assert "succeeded" in text and "users_created 30" in text and "API calls" in text


def test_dingtalk_sync_fails_loudly_when_not_configured(settings):
    settings.DINGTALK_APP_KEY = None
    settings.DINGTALK_APP_SECRET = None
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("dingtalk_sync", stdout=out)
    assert "not configured" in out.getvalue()


def test_beat_tick_starts_a_sync_only_when_due(emulator, settings):
    assert sync_tick() is False  # interval 0: no schedule
    DingTalkSettings.load()
    DingTalkSettings.objects.filter(pk=1).update(sync_interval_minutes=60)
    SyncRun.objects.create(kind=SyncRun.Kind.FULL, status=SyncRun.Status.SUCCEEDED)
    assert sync_tick() is False  # the last run is recent


def test_emulator_command_serves_a_generated_org():
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "dingtalk_emulator", "--port", str(port), "--users", "120", "--depts", "5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/stats", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/gettoken?appkey=dingemulatorkey&appsecret=emulator-secret"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            assert json.loads(response.read())["expires_in"] == 7200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
