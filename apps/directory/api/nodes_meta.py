"""``meta/node/``: ArkID v1's category list (built-in and custom group types), and custom type CRUD."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsArkidManager, admin_or_holder
from apps.directory.actions import group_types as actions
from apps.directory.models import Group, GroupType
from apps.directory.queries.groups import group_type_by_key, node_subject

DEFAULT_CATEGORY = {"name": "默认分类", "slug": "default"}
CUSTOM_CATEGORY = {"name": "自定义分类", "slug": "custom"}


def type_item(group_type: GroupType) -> dict:
    root: Group = group_type.root
    return {
        "name": group_type.name,
        "key": group_type.key,
        "node_uid": root.node_uid if root else None,
        "node_subject": node_subject(group_type),
        "is_builtin": group_type.is_builtin,
    }


class GroupTypeItemSerializer(serializers.Serializer):
    """Response shape of one group type (documentation only; built by :func:`type_item`)."""

    name = serializers.CharField()
    key = serializers.CharField()
    node_uid = serializers.CharField(allow_null=True)
    node_subject = serializers.CharField()
    is_builtin = serializers.BooleanField()


class CategorySerializer(serializers.Serializer):
    """Response shape of one v1 category (documentation only)."""

    name = serializers.CharField()
    slug = serializers.CharField()
    node_uid = serializers.CharField(allow_null=True)
    nodes = GroupTypeItemSerializer(many=True)


class GroupTypeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class GroupTypeRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)


class NodeMetaView(APIView):
    """Sub-administrators read the categories and, with ``system_category_create``, create
    one (they then manage it through a new manager group)."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [admin_or_holder("create_category")()]
        return [IsArkidManager()]

    @extend_schema(summary="Group type categories (v1 meta/node)", responses=CategorySerializer(many=True))
    def get(self, request):
        types = list(GroupType.objects.select_related("root__type").order_by("order", "id"))
        return Response(
            [
                {**DEFAULT_CATEGORY, "node_uid": None, "nodes": [type_item(t) for t in types if t.is_builtin]},
                {**CUSTOM_CATEGORY, "node_uid": None, "nodes": [type_item(t) for t in types if not t.is_builtin]},
            ]
        )

    @extend_schema(
        summary="Create a custom group type", request=GroupTypeCreateSerializer, responses=GroupTypeItemSerializer
    )
    def post(self, request):
        body = GroupTypeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group_type = actions.create_group_type(
            actor=request.user, name=body.validated_data["name"], key=body.validated_data.get("key") or None
        )
        return Response(type_item(group_type), status=status.HTTP_201_CREATED)


class NodeMetaDetailView(APIView):
    @extend_schema(summary="One group type", responses=GroupTypeItemSerializer)
    def get(self, request, key: str):
        return Response(type_item(group_type_by_key(key)))

    @extend_schema(
        summary="Rename a custom group type", request=GroupTypeRenameSerializer, responses=GroupTypeItemSerializer
    )
    def patch(self, request, key: str):
        group_type = group_type_by_key(key)
        body = GroupTypeRenameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group_type = actions.rename_group_type(group_type, actor=request.user, name=body.validated_data["name"])
        group_type.root.refresh_from_db()
        return Response(type_item(group_type))

    @extend_schema(summary="Delete an empty custom group type", responses={204: None})
    def delete(self, request, key: str):
        actions.delete_group_type(group_type_by_key(key), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
