"""``service/file/`` (v1's upload) and ``config/storage/`` (v1's storage settings).

``service/file/``: a signed-in user uploads an image, gets its name and URL.

v1 accepted any file and served it back from our origin; we accept images only, re-encoded
(:mod:`apps.storage.images`), because a stored HTML or SVG file served by the IdP is a
stored-XSS hole. Set it as the avatar with ``PATCH ucenter/profile/ {"avatar": url}``."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.core.permissions import IsActiveUser, admin_or_holder
from apps.storage.actions import EDITABLE, build_config, store_avatar, update_storage_config
from apps.storage.models import StorageConfig


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class FileUploadView(APIView):
    permission_classes = [IsActiveUser]
    parser_classes = [MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "credentials"

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: OpenApiResponse(description="{file_name, url}")},
    )
    def post(self, request):
        data = UploadSerializer(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError({"file": [_("Upload an image file.")]})
        url = store_avatar(data.validated_data["file"], actor=request.user)
        return Response({"file_name": url.rsplit("/", 1)[-1], "url": url}, status=201)


class StorageConfigSerializer(serializers.ModelSerializer):
    """The secret key is write-only: reads say only whether one is set."""

    secret_key = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=1024)
    secret_key_set = serializers.SerializerMethodField()

    class Meta:
        model = StorageConfig
        fields = [*EDITABLE, "secret_key_set", "updated"]
        read_only_fields = ["updated"]

    def get_secret_key_set(self, config) -> bool:
        return bool(config.secret_key)


class StorageConfigView(APIView):
    permission_classes = [admin_or_holder("system_config_write")]

    @extend_schema(responses=StorageConfigSerializer)
    def get(self, request):
        return Response(StorageConfigSerializer(StorageConfig.load()).data)

    @extend_schema(request=StorageConfigSerializer, responses=StorageConfigSerializer)
    def patch(self, request):
        data = StorageConfigSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        build_config(data.validated_data)  # field errors before anything is written
        update_storage_config(data.validated_data, actor=request.user)
        return Response(StorageConfigSerializer(StorageConfig.load()).data)
