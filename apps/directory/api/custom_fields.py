"""Custom user fields (v1): ``config/custom/field/user/`` and ``config/custom/field/user/<uuid>/``.

Body: ``{name, field_type: string|number|date|boolean, is_visible, order}``; v1's
``schema: {type}`` is accepted for ``field_type``.
"""

from __future__ import annotations

import uuid

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.directory.actions import custom_fields as field_actions
from apps.directory.models import CustomField
from apps.directory.serializers_users import CustomFieldSerializer

_WRITABLE = ("name", "field_type", "is_visible", "order")


def _definition(data) -> dict:
    data = data if isinstance(data, dict) else {}
    fields = {key: data[key] for key in _WRITABLE if key in data}
    schema = data.get("schema")
    if "field_type" not in fields and isinstance(schema, dict) and "type" in schema:
        fields["field_type"] = schema["type"]
    return fields


def _get_field(field_uuid: str) -> CustomField:
    try:
        key = uuid.UUID(field_uuid)
    except ValueError:
        raise Http404 from None
    field = CustomField.objects.filter(uuid=key, subject=CustomField.Subject.USER).first()
    if field is None:
        raise Http404
    return field


class CustomFieldListView(ListAPIView):
    serializer_class = CustomFieldSerializer
    queryset = CustomField.objects.filter(subject=CustomField.Subject.USER)

    @extend_schema(summary="Custom user fields")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Create a custom user field", request=None, responses={201: CustomFieldSerializer})
    def post(self, request):
        field = field_actions.create_custom_field(actor=request.user, **_definition(request.data))
        return Response(CustomFieldSerializer(field).data, status=status.HTTP_201_CREATED)


class CustomFieldDetailView(APIView):
    @extend_schema(summary="A custom user field", responses=CustomFieldSerializer)
    def get(self, request, field_uuid: str):
        return Response(CustomFieldSerializer(_get_field(field_uuid)).data)

    @extend_schema(summary="Change a custom user field", request=None, responses=CustomFieldSerializer)
    def patch(self, request, field_uuid: str):
        field = field_actions.update_custom_field(_get_field(field_uuid), _definition(request.data), actor=request.user)
        return Response(CustomFieldSerializer(field).data)

    @extend_schema(summary="Delete a custom user field and its values", responses={204: None})
    def delete(self, request, field_uuid: str):
        field_actions.delete_custom_field(_get_field(field_uuid), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("config/custom/field/user/", CustomFieldListView.as_view(), name="custom-field-list"),
    path("config/custom/field/user/<str:field_uuid>/", CustomFieldDetailView.as_view(), name="custom-field-detail"),
]
