from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.core.exceptions import Conflict, DomainError


def respond_to(exc: Exception):
    """Raise ``exc`` from a real DRF view, so the configured EXCEPTION_HANDLER renders it."""

    class Raising(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request):
            raise exc

    response = Raising.as_view()(APIRequestFactory().get("/x/"))
    response.render()
    return response


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (DomainError("Already taken.", field="username"), 400, {"username": ["Already taken."], "code": "invalid"}),
        (DomainError("Not allowed here."), 400, {"detail": "Not allowed here.", "code": "invalid"}),
        (Conflict("Exists.", field="uid", code="taken"), 409, {"uid": ["Exists."], "code": "taken"}),
        (DjangoValidationError({"email": ["Bad email."]}), 400, {"email": ["Bad email."]}),
        (DjangoValidationError("Plain message."), 400, {"detail": ["Plain message."]}),
        (Http404("secret internals"), 404, {"detail": "Not found."}),
        (
            DataError("value too long for type character varying(8)"),
            400,
            {"detail": "A value is too long or out of range.", "code": "invalid_value"},
        ),
        (PermissionDenied("secret internals"), 403, {"detail": "You do not have permission to perform this action."}),
    ],
)
def test_errors_become_4xx_with_field_messages(exc, status, body, settings):
    settings.LANGUAGE_CODE = "en"
    response = respond_to(exc)
    assert response.status_code == status
    assert response.data == body


def test_unknown_errors_are_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        respond_to(ZeroDivisionError())
