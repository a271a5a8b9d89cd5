"""Client-side rate limiting of DingTalk calls, per (app, API).

GCRA ("virtual scheduling"): each key remembers the earliest time the next call may start,
and every call pushes it by ``1 / rate``. Calls are therefore spaced evenly, never bursting
at a window boundary, which is what keeps a sync under DingTalk's per-second limits
(errcodes 90018/90006) instead of hitting them and backing off.

With a shared Redis (``ARKID_SHARED_CACHE``) the schedule lives in Redis and one Lua script
reserves a slot atomically, so every web and Celery process shares the same budget per
app and API. Otherwise the schedule is per process. Written by hand: the rate-limit
libraries on PyPI either reject instead of waiting or keep fixed windows that allow
2x bursts across a window edge.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings

# KEYS[1]: schedule key. ARGV: now (s), interval (s). Returns how long to wait (s, as text).
_RESERVE = """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
if tat < now then tat = now end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(interval * 1000) + 60000)
return tostring(tat - now)
"""


class LocalSchedule:
    """The per-process schedule (no shared Redis)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def reserve(self, key: str, now: float, interval: float) -> float:
        with self._lock:
            start = max(self._next.get(key, 0.0), now)
            self._next[key] = start + interval
            return start - now


class RedisSchedule:
    def __init__(self, connection):
        self._script = connection.register_script(_RESERVE)

    def reserve(self, key: str, now: float, interval: float) -> float:
        return float(self._script(keys=[key], args=[repr(now), repr(interval)]))


_local = LocalSchedule()


def default_schedule():
    if getattr(settings, "SHARED_CACHE", False) and "redis" in settings.CACHES["default"]["BACKEND"].lower():
        from django_redis import get_redis_connection

        return RedisSchedule(get_redis_connection("default"))
    return _local


class RateLimiter:
    """``acquire(api)`` blocks until the call may start; ``rate`` 0 (or less) turns it off."""

    def __init__(self, rate: float, *, scope: str, schedule=None, sleep=time.sleep, clock=time.time):
        self.rate = float(rate)
        self.scope = scope
        self._schedule = schedule
        self._sleep = sleep
        self._clock = clock

    def acquire(self, api: str) -> float:
        if self.rate <= 0:
            return 0.0
        if self._schedule is None:
            self._schedule = default_schedule()
        wait = self._schedule.reserve(f"dingtalk:rate:{self.scope}:{api}", self._clock(), 1.0 / self.rate)
        if wait > 0:
            self._sleep(wait)
        return wait
