"""One JSON object per log line (``ARKID_LOG_FORMAT=json``), carrying the request id.

Log collectors (Loki, Elasticsearch, CloudWatch) parse JSON lines without a grok pattern,
and the request id ties a line to the ``X-Request-ID`` a client was answered with and to
the audit event the request wrote. Request facts come from the request context, which the
formatter reads in the thread that logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from apps.core import request_context

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is included.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = request_context.current()
        payload = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if ctx.request_id:
            payload["request_id"] = ctx.request_id
            payload["client_ip"] = ctx.ip
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)
