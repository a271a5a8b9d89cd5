"""gunicorn settings for production (``gunicorn -c arkid/gunicorn_conf.py arkid.wsgi``).

Every value comes from an ``ARKID_*`` variable with a default sized for a small container:
threaded workers (most of a request's time is spent waiting on PostgreSQL, Redis or a
password hash in C that releases the GIL), recycled after a bounded number of requests so
a slow leak can never take a replica down. Deliberately free of Django imports: gunicorn
reads this file before the application is loaded.

When ``PROMETHEUS_MULTIPROC_DIR`` is set, every worker writes its metrics to files there;
the directory is emptied when the master starts and a dead worker's live gauges are
dropped, as prometheus-client's multiprocess mode requires.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _default_workers() -> int:
    # Threads carry the concurrency; processes only need to cover the cores, capped so a
    # large node does not multiply database connections.
    return max(2, min(multiprocessing.cpu_count(), 8))


bind = _env("ARKID_BIND", f"{_env('ARKID_HOST', '0.0.0.0')}:{_env('ARKID_PORT', '8000')}")  # noqa: S104 - in a container
workers = int(_env("ARKID_WEB_WORKERS", str(_default_workers())))
threads = int(_env("ARKID_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(_env("ARKID_WEB_TIMEOUT", "120"))
graceful_timeout = int(_env("ARKID_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("ARKID_WEB_KEEPALIVE", "5"))  # below the proxy's upstream keepalive
max_requests = int(_env("ARKID_WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# gunicorn only believes X-Forwarded-Proto (wsgi.url_scheme) from these; Django reads
# X-Forwarded-For itself, from ARKID_TRUSTED_PROXIES as well (apps/core/client_ip.py).
forwarded_allow_ips = _env("ARKID_TRUSTED_PROXIES", "127.0.0.1,::1")
accesslog = "-" if _env("ARKID_ACCESS_LOG", "false").lower() in {"1", "true", "yes", "on"} else None
errorlog = "-"
loglevel = _env("ARKID_LOG_LEVEL", "info").lower()
worker_tmp_dir = _env("ARKID_WEB_TMP_DIR", "/dev/shm" if Path("/dev/shm").is_dir() else "/tmp")  # noqa: S108
preload_app = False  # each worker opens its own database and Redis connections
# gunicorn's control socket lives in $HOME by default: read-only in the container, and shared
# between instances on one host. Containers are controlled by signals and the orchestrator.
control_socket_disable = True


def on_starting(server) -> None:
    """Start with an empty metrics directory: files of a previous run would be summed in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.exists():
            for child in path.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
