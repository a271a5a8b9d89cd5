"""Who is asking, from where: set per request by the middleware, read by the audit log.

A ContextVar (not a thread-local) so it is correct under ASGI and in Celery tasks, where
it simply stays empty.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_EMPTY = RequestContext()  # frozen, so sharing one default instance is safe
_current: ContextVar[RequestContext] = ContextVar("arkid_request_context", default=_EMPTY)  # noqa: B039


def current() -> RequestContext:
    return _current.get()


def activate(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
