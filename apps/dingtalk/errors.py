"""Errors raised by the DingTalk client.

They travel through Celery (pickled into results and retries), so every attribute is a
constructor keyword and ``__reduce__`` rebuilds the same object (ArkID v1 issue #399: its
exception could not be unpickled and the worker lost the real cause).
"""

from __future__ import annotations


class DingTalkError(Exception):
    """A call failed: ``errcode`` (oapi, int) or ``code`` (api v1.0, str), plus the details."""

    def __init__(
        self,
        message: str,
        *,
        errcode: int | str | None = None,
        sub_code: str = "",
        request_id: str = "",
        http_status: int | None = None,
        api: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.errcode = errcode
        self.sub_code = sub_code
        self.request_id = request_id
        self.http_status = http_status
        self.api = api

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.as_dict()))

    def as_dict(self) -> dict:
        return {
            "errcode": self.errcode,
            "sub_code": self.sub_code,
            "request_id": self.request_id,
            "http_status": self.http_status,
            "api": self.api,
        }

    def __str__(self) -> str:
        parts = [self.message]
        if self.api:
            parts.append(f"api={self.api}")
        if self.errcode not in (None, ""):
            parts.append(f"errcode={self.errcode}")
        if self.sub_code:
            parts.append(f"sub_code={self.sub_code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class DingTalkNotConfigured(DingTalkError):
    """AppKey/AppSecret are missing: nothing can be called."""


def _rebuild(cls, message, kwargs):
    return cls(message, **kwargs)
