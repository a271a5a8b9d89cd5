"""One error shape for the whole API: DRF's field dicts (``{"field": ["message"]}``), and
``{"detail": ...}`` for everything else. Known domain errors become 4xx instead of 500."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Raised by actions for a rule the caller broke; ``field`` names the input at fault."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, field: str = "detail", code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # ``code`` is the machine-readable reason (v1's "deadlock", "across_scope", ...).
        body = {exc.field: [exc.message]} if exc.field != "detail" else {"detail": exc.message}
        body["code"] = exc.code
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        # A value the database cannot hold that validation let through (a bug to fix where it
        # happens, logged as such); the client still gets a 4xx, never a 500.
        logger.warning("database refused a value: %s", exc)
        return Response(
            {"detail": _("A value is too long or out of range."), "code": "invalid_value"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
