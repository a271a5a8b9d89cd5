"""The emulator over real HTTP, one per test that asks for it (cheap: a thread and a socket)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.core.cache import cache

from apps.dingtalk.emulator.org import generate
from apps.dingtalk.emulator.server import Emulator, start_in_thread


class Running:
    def __init__(self, emulator: Emulator, server, base: str):
        self.emulator, self.server, self.base = emulator, server, base

    def control(self, name: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(  # noqa: S310 - local test server
            f"{self.base}/_emulator/{name}",
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return {"status": exc.code, **json.loads(exc.read())}

    def total_calls(self) -> int:
        return sum(self.emulator.calls.values())


@pytest.fixture
def emulator_factory(settings):
    servers = []

    def start(users: int = 30, depts: int = 6, seed: int = 1, rate_limit: int = 0, token_ttl: int = 7200) -> Running:
        emulator = Emulator(generate(users=users, depts=depts, seed=seed), rate_limit=rate_limit, token_ttl=token_ttl)
        server, base = start_in_thread(emulator)
        servers.append(server)
        settings.DINGTALK_OAPI_BASE = base
        settings.DINGTALK_API_BASE = base
        settings.DINGTALK_LOGIN_BASE = base
        settings.DINGTALK_APP_KEY = emulator.app_key
        settings.DINGTALK_APP_SECRET = emulator.app_secret
        settings.DINGTALK_RATE_LIMIT = 0
        return Running(emulator, server, base)

    cache.clear()
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    cache.clear()


@pytest.fixture
def emulator(emulator_factory) -> Running:
    return emulator_factory()
