"""The client against the emulator over HTTP: tokens, both API families, retries, errors."""

from __future__ import annotations

import pickle

import pytest
from django.core.cache import cache

from apps.dingtalk.client import DingTalkClient
from apps.dingtalk.errors import DingTalkError, DingTalkNotConfigured
from apps.dingtalk.ratelimit import LocalSchedule, RateLimiter


def _client(emulator, **kwargs) -> DingTalkClient:
    kwargs.setdefault("sleep", lambda s: None)
    return DingTalkClient(emulator.emulator.app_key, emulator.emulator.app_secret, **kwargs)


def test_oapi_call_fetches_and_caches_the_token(emulator):
    client = _client(emulator)
    result = client.oapi("topapi/v2/department/listsub", {"dept_id": 1})["result"]
    assert result and {"dept_id", "name", "parent_id"} <= set(result[0])
    client.oapi("topapi/v2/department/get", {"dept_id": 1})
    assert emulator.emulator.calls["/gettoken"] == 1
    # A second client (another process, same shared cache) reuses the token.
    _client(emulator).oapi("topapi/user/count", {"only_active": False})
    assert emulator.emulator.calls["/gettoken"] == 1


def test_expired_token_is_refreshed_once(emulator):
    client = _client(emulator)
    client.oapi("topapi/v2/department/get", {"dept_id": 1})
    emulator.control("expire_tokens")
    assert client.oapi("topapi/v2/department/get", {"dept_id": 1})["result"]["dept_id"] == 1
    assert emulator.emulator.calls["/gettoken"] == 2


def test_api_v1_uses_the_header_and_refreshes_on_invalid_authentication(emulator):
    client = _client(emulator)
    cache.set(client._token_key, "stale-token", 600)
    with pytest.raises(DingTalkError) as caught:
        client.api("GET", "/v1.0/unknown/thing")
    # The stale token got InvalidAuthentication, was dropped and re-fetched; the real answer is a 404.
    assert caught.value.http_status == 404
    assert emulator.emulator.calls["/gettoken"] == 1


def test_errors_carry_errcode_and_request_id_and_survive_pickling(emulator):
    client = _client(emulator)
    with pytest.raises(DingTalkError) as caught:
        client.oapi("topapi/v2/department/get", {"dept_id": 999_999})
    exc = caught.value
    assert exc.errcode == 60003 and exc.request_id and exc.api == "/topapi/v2/department/get"
    copy = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    assert type(copy) is DingTalkError and copy.as_dict() == exc.as_dict() and str(copy) == str(exc)


def test_wrong_secret_is_a_clear_error(emulator):
    client = DingTalkClient(emulator.emulator.app_key, "wrong", sleep=lambda s: None)
    with pytest.raises(DingTalkError) as caught:
        client.oapi("topapi/user/count", {"only_active": False})
    assert caught.value.errcode == 40089


def test_missing_credentials():
    with pytest.raises(DingTalkNotConfigured):
        DingTalkClient("", "")


def test_rate_limit_errors_are_retried_with_backoff(emulator_factory):
    running = emulator_factory(rate_limit=1)
    sleeps = []
    client = _client(running, sleep=sleeps.append, max_attempts=3)
    client.oapi("topapi/v2/department/get", {"dept_id": 1})
    # The second call in the same second hits 90018; the client sleeps >= 1 s and retries.
    # (No real sleep here, so every retry may land in the same second and fail again.)
    try:
        client.oapi("topapi/v2/department/get", {"dept_id": 1})
    except DingTalkError as exc:
        assert exc.errcode == 90018
    assert sleeps and all(s >= 1.0 for s in sleeps)
    assert client.retries >= 1


def test_network_errors_are_retried_then_raised():
    sleeps = []
    client = DingTalkClient("k", "s", oapi_base="http://127.0.0.1:9", sleep=sleeps.append, max_attempts=3, rate=0)
    with pytest.raises(DingTalkError) as caught:
        client.token()
    assert caught.value.errcode == "network"
    assert len(sleeps) == 2 and client.calls == 3


def test_rate_limiter_spaces_calls_evenly():
    now = [100.0]
    waits = []
    limiter = RateLimiter(10, scope="app", schedule=LocalSchedule(), sleep=waits.append, clock=lambda: now[0])
    for _ in range(5):
        limiter.acquire("api")
    assert waits == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert RateLimiter(0, scope="app").acquire("api") == 0.0


def test_ip_block_answer_without_errcode_is_retried_as_rate_limited():
    """DingTalk's IP-level block is HTTP 200 JSON without errcode; it must not pass as success."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Blocked(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 - gettoken
            self._answer({"errcode": 0, "access_token": "t", "expires_in": 7200})

        def do_POST(self):  # noqa: N802
            hits.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer({"status": 1111, "wait": 5, "source": "x5", "punish": "deny"})

        def _answer(self, body):
            raw = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Blocked)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sleeps = []
        base = f"http://127.0.0.1:{server.server_address[1]}"
        client = DingTalkClient("k-blocked", "s", oapi_base=base, sleep=sleeps.append, max_attempts=3, rate=0)
        with pytest.raises(DingTalkError) as caught:
            client.oapi("topapi/v2/department/listsub", {"dept_id": 1})
        assert caught.value.http_status == 429 and len(hits) == 3
        assert all(s >= 1.0 for s in sleeps)
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limiter_shares_one_schedule_through_redis(settings):
    """Two limiters (two processes) on one Redis key: together they keep the rate."""
    if not settings.REDIS_URL:
        pytest.skip("needs ARKID_REDIS_URL (Redis)")
    import uuid

    from django_redis import get_redis_connection

    from apps.dingtalk.ratelimit import RedisSchedule

    schedule = RedisSchedule(get_redis_connection("default"))
    scope = f"test-{uuid.uuid4().hex}"
    waits = []
    first = RateLimiter(10, scope=scope, schedule=schedule, sleep=waits.append, clock=lambda: 1000.0)
    second = RateLimiter(10, scope=scope, schedule=RedisSchedule(get_redis_connection("default")),
                         sleep=waits.append, clock=lambda: 1000.0)  # fmt: skip
    for limiter in (first, second, first, second):
        limiter.acquire("topapi/v2/user/list")
    assert waits == pytest.approx([0.1, 0.2, 0.3])
