"""One client for both DingTalk API families.

* oapi (``topapi/...``): POST JSON with ``?access_token=``; failures are HTTP 200 with a
  non-zero ``errcode`` (88 carries the real cause in ``sub_code``).
* api v1.0 (``/v1.0/...``): header ``x-acs-dingtalk-access-token``; failures are non-2xx
  with ``{"code", "message", "requestid"}``.

The app token is cached in the Django cache (shared by every process with Redis) until 5
minutes before it expires, and dropped and fetched again once when DingTalk says it is
invalid. Transient and rate-limit failures are retried with exponential backoff and full
jitter; every call first waits for the client-side rate limiter (per app and API), so a
sync paces itself under DingTalk's limits instead of bouncing off them. Only the standard
library speaks HTTP here: one persistent connection per host and thread.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.parse

from django.conf import settings
from django.core.cache import cache

from apps.dingtalk.errors import DingTalkError, DingTalkNotConfigured
from apps.dingtalk.ratelimit import RateLimiter

TOKEN_REFRESH_CODES = {40001, 40014, 42001, "InvalidAuthentication", "40001", "40014", "42001"}
# errcodes worth retrying: busy, timeouts, per-API / per-app / global rate limits.
RETRY_ERRCODES = {-1, 15, 90002, 90005, 90006, 90008, 90010, 90014, 90018, 90019}
RATE_LIMIT_ERRCODES = {90002, 90005, 90006, 90008, 90010, 90014, 90018, 90019}
TOKEN_MARGIN = 300  # seconds before expiry at which a cached token is no longer used


def _is_rate_limit_code(code) -> bool:
    return isinstance(code, str) and code.startswith("Forbidden.AccessDenied.Q")


class _Connections(threading.local):
    def __init__(self):
        self.pool: dict[tuple[str, str, int], http.client.HTTPConnection] = {}


class DingTalkClient:
    """``oapi(path, body)`` and ``api(method, path, body)`` return the decoded JSON body.

    ``calls`` counts HTTP requests made (token fetches and retries included), which the sync
    records and the benchmark compares with the minimum.
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        oapi_base: str | None = None,
        api_base: str | None = None,
        rate: float | None = None,
        timeout: float | None = None,
        max_attempts: int = 4,
        backoff: float = 0.5,
        sleep=time.sleep,
    ):
        if not app_key or not app_secret:
            raise DingTalkNotConfigured("DingTalk AppKey and AppSecret are not configured")
        self.app_key = app_key
        self._secret = app_secret
        self.oapi_base = (oapi_base or settings.DINGTALK_OAPI_BASE).rstrip("/")
        self.api_base = (api_base or settings.DINGTALK_API_BASE).rstrip("/")
        self.timeout = settings.DINGTALK_TIMEOUT if timeout is None else timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._sleep = sleep
        self.limiter = RateLimiter(settings.DINGTALK_RATE_LIMIT if rate is None else rate, scope=app_key, sleep=sleep)
        self.calls = 0
        self.retries = 0
        self._connections = _Connections()

    @classmethod
    def from_config(cls, config=None, **kwargs) -> DingTalkClient:
        from apps.dingtalk import config as config_module

        config = config or config_module.current()
        return cls(config.app_key, config.app_secret, **kwargs)

    # --- tokens --------------------------------------------------------------------------------
    @property
    def _token_key(self) -> str:
        return f"dingtalk:token:{self.oapi_base}:{self.app_key}"

    def token(self, *, force: bool = False) -> str:
        if not force:
            cached = cache.get(self._token_key)
            if cached:
                return cached
        query = urllib.parse.urlencode({"appkey": self.app_key, "appsecret": self._secret})
        data = self._with_retries("gettoken", lambda: self._request("GET", self.oapi_base, f"/gettoken?{query}"))
        self._raise_oapi("gettoken", data)
        token = data["access_token"]
        ttl = max(int(data.get("expires_in") or 7200) - TOKEN_MARGIN, 1)
        cache.set(self._token_key, token, ttl)
        return token

    def _drop_token(self) -> None:
        cache.delete(self._token_key)

    # --- public calls --------------------------------------------------------------------------
    def oapi(self, path: str, body: dict | None = None) -> dict:
        path = "/" + path.lstrip("/")
        return self._authenticated(path, lambda token: self._oapi_once(path, body or {}, token))

    def api(self, method: str, path: str, body: dict | None = None, *, token: str | None = None) -> dict:
        """A v1.0 call; ``token`` overrides the app token (user tokens for ``users/me``)."""
        path = "/" + path.lstrip("/")
        if token is not None:
            return self._with_retries(path, lambda: self._api_once(method, path, body, token))
        return self._authenticated(path, lambda app_token: self._api_once(method, path, body, app_token))

    def api_unauthenticated(self, method: str, path: str, body: dict | None = None) -> dict:
        path = "/" + path.lstrip("/")
        return self._with_retries(path, lambda: self._api_once(method, path, body, None))

    # --- plumbing ------------------------------------------------------------------------------
    def _authenticated(self, api: str, call) -> dict:
        try:
            return self._with_retries(api, lambda: call(self.token()))
        except DingTalkError as exc:
            if exc.errcode not in TOKEN_REFRESH_CODES and exc.sub_code not in TOKEN_REFRESH_CODES:
                raise
        self._drop_token()
        token = self.token(force=True)
        return self._with_retries(api, lambda: call(token))

    def _oapi_once(self, path: str, body: dict, token: str) -> dict:
        query = urllib.parse.urlencode({"access_token": token})
        data = self._request("POST", self.oapi_base, f"{path}?{query}", body, api=path)
        if "errcode" not in data:
            # The IP-level block answers 200 {"status":1111,"wait":5,...} without errcode.
            raise DingTalkError("unexpected oapi response (no errcode)", http_status=429, api=path)
        self._raise_oapi(path, data)
        return data

    def _api_once(self, method: str, path: str, body, token: str | None) -> dict:
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        return self._request(method, self.api_base, path, body, headers=headers, api=path)

    @staticmethod
    def _raise_oapi(api: str, data: dict) -> None:
        errcode = data.get("errcode", 0)
        if errcode in (0, "0", None):
            return
        raise DingTalkError(
            str(data.get("errmsg") or data.get("sub_msg") or "DingTalk error"),
            errcode=int(errcode) if str(errcode).lstrip("-").isdigit() else errcode,
            sub_code=str(data.get("sub_code") or ""),
            request_id=str(data.get("request_id") or ""),
            http_status=200,
            api=api,
        )

    def _retryable(self, exc: DingTalkError) -> bool:
        if exc.errcode in RETRY_ERRCODES or _is_rate_limit_code(exc.errcode):
            return True
        if exc.errcode == 88 and not exc.sub_code:  # auth service timed out
            return True
        return exc.http_status in (429, 500, 502, 503, 504) or exc.errcode == "network"

    def _delay(self, attempt: int, exc: DingTalkError) -> float:
        # Full jitter; rate-limit windows are 1 s long, so those wait at least that.
        delay = random.uniform(0, self.backoff * (2**attempt))  # noqa: S311 - jitter, not a secret
        if exc.errcode in RATE_LIMIT_ERRCODES or _is_rate_limit_code(exc.errcode) or exc.http_status == 429:
            delay += 1.0
        return min(delay, 30.0)

    def _with_retries(self, api: str, call) -> dict:
        for attempt in range(self.max_attempts):
            self.limiter.acquire(api)
            try:
                return call()
            except DingTalkError as exc:
                if attempt + 1 >= self.max_attempts or not self._retryable(exc):
                    raise
                self.retries += 1
                self._sleep(self._delay(attempt, exc))
        raise AssertionError("unreachable")

    def _connection(self, base: str) -> tuple[http.client.HTTPConnection, str]:
        parts = urllib.parse.urlsplit(base)
        key = (parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        conn = self._connections.pool.get(key)
        if conn is None:
            factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            conn = factory(key[1], key[2], timeout=self.timeout)
            self._connections.pool[key] = conn
        return conn, parts.path.rstrip("/")

    def _request(self, method: str, base: str, path: str, body=None, *, headers=None, api: str = "") -> dict:
        api = api or path.split("?")[0]
        self.calls += 1
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        conn, prefix = self._connection(base)
        try:
            conn.request(method, prefix + path, body=payload, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise DingTalkError(f"network error: {exc.__class__.__name__}: {exc}", errcode="network", api=api) from None
        return self._decode(response.status, raw, api)

    @staticmethod
    def _decode(status: int, raw: bytes, api: str) -> dict:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # The IP-level block answers with HTML or {"status":1111,...}: treat as rate limited.
            raise DingTalkError(
                f"unexpected response (HTTP {status})", http_status=status if status != 200 else 429, api=api
            )
        if status >= 400 or (data.get("code") and "errcode" not in data):
            raise DingTalkError(
                str(data.get("message") or f"HTTP {status}"),
                errcode=data.get("code") or status,
                request_id=str(data.get("requestid") or data.get("request_id") or ""),
                http_status=status,
                api=api,
            )
        return data
