"""Sync runs reach Prometheus, by outcome."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from apps.dingtalk.models import SyncRun
from apps.dingtalk.sync import run_sync


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_sync_runs_are_counted(emulator):
    before = sample("arkid_sync_runs_total", source="dingtalk", outcome="succeeded")
    assert run_sync().status == SyncRun.Status.SUCCEEDED
    assert sample("arkid_sync_runs_total", source="dingtalk", outcome="succeeded") == before + 1
