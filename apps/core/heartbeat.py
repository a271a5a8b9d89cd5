"""Worker liveness: the Celery worker (arkid.celery.HeartbeatStep) touches a file every few seconds.

A worker whose process is up but whose consumer is stuck (lost broker connection that never
recovers, a blocked event loop) stops touching the file; ``manage.py worker_heartbeat
--max-age N`` then exits 1 and the orchestrator restarts the container. A file, not a cache
key: the probe runs inside the worker's container and must not depend on Redis being up
(a Redis outage should not restart every worker).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings


def interval() -> float:
    return float(os.environ.get("ARKID_WORKER_HEARTBEAT_INTERVAL") or 10)


def heartbeat_path() -> Path:
    return Path(settings.WORKER_HEARTBEAT_FILE)


def beat(path: Path | None = None, now: float | None = None) -> None:
    """Write the current time atomically (a reader never sees a half-written file)."""
    path = path or heartbeat_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(f"{now if now is not None else time.time():.3f}\n")
    os.replace(tmp, path)


def age(path: Path | None = None, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, or None when there has been none."""
    path = path or heartbeat_path()
    try:
        written = float(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return (now if now is not None else time.time()) - written
