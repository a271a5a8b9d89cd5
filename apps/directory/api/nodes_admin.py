"""Administrators' node endpoints: ``node/<node_uid>/`` (detail), ``…/list/``, ``…/tree/`` and ``…/node/``."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import PageNumberPagination
from apps.core.permissions import IsArkidManager
from apps.directory import scope
from apps.directory.actions import groups as actions
from apps.directory.api.nodes_render import (
    admin_detail,
    admin_info,
    build_tree,
    preorder,
    subtree_member_rows,
    users_by_group,
)
from apps.directory.models import Group, Visibility
from apps.directory.queries import groups as queries


class NodeUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    remark = serializers.CharField(required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    node_scope = serializers.ListField(child=serializers.CharField(max_length=140), required=False, max_length=1000)
    user_scope = serializers.ListField(child=serializers.CharField(max_length=150), required=False, max_length=1000)


class NodeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    uid = serializers.CharField(max_length=128, required=False, allow_blank=True)
    remark = serializers.CharField(required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, default=Visibility.EVERYONE)


class ChildrenPatchSerializer(serializers.Serializer):
    node_uids = serializers.ListField(child=serializers.CharField(max_length=140), allow_empty=False, max_length=1000)
    subject = serializers.ChoiceField(choices=["add", "sort"])


USER_REQUIRED = OpenApiParameter("user_required", bool, description="Include members and headcounts.")


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def unknown_nodes_error(field: str, missing: list[str]) -> serializers.ValidationError:
    return serializers.ValidationError({field: [f"Unknown nodes: {', '.join(missing)}."]})


def check_visibility_scope(actor, data: dict) -> None:
    """A sub-administrator opens a group only to groups and users in their scope (naming
    others would also tell them whether those exist)."""
    if scope.resolve_scope(actor).is_admin:
        return
    groups, _missing = queries.resolve_node_uids(data.get("node_scope") or [])
    scope.require_groups_in_scope(actor, groups, field="node_scope")
    users, _missing = queries.resolve_usernames(data.get("user_scope") or [])
    scope.require_users_in_scope(actor, users, field="user_scope")


class NodeDetailView(APIView):
    permission_classes = [IsArkidManager]  # sub-administrators: nodes in scope (else 404)

    @extend_schema(summary="Node detail", responses=OpenApiTypes.OBJECT)
    def get(self, request, node_uid: str):
        return Response(admin_detail(queries.access_group(request.user, node_uid)))

    @extend_schema(summary="Update a node", request=NodeUpdateSerializer, responses=OpenApiTypes.OBJECT)
    def patch(self, request, node_uid: str):
        group = queries.access_group(request.user, node_uid, for_write=True)
        body = NodeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check_visibility_scope(request.user, body.validated_data)
        group = actions.update_group(group, dict(body.validated_data), actor=request.user)
        return Response(admin_detail(group))

    @extend_schema(summary="Delete an empty node", responses={204: None})
    def delete(self, request, node_uid: str):
        actions.delete_group(queries.access_group(request.user, node_uid, for_write=True), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NodeListView(APIView):
    """The node and all its descendants, flat and depth-first; one descendants query."""

    permission_classes = [IsArkidManager]

    @extend_schema(summary="A node and all its descendants, flat", responses=OpenApiTypes.OBJECT)
    def get(self, request, node_uid: str):
        group = queries.access_group(request.user, node_uid)
        subtree = list(queries.descendants(group, include_self=True))
        by_id = {g.pk: g for g in subtree}
        return Response([admin_info(g, by_id) for g in preorder(by_id[group.pk], subtree)])


class NodeTreeView(APIView):
    """v1's ``{info, users, nodes, headcount}``: one descendants query, plus one members query
    (and a count guarding its size) when ``user_required`` is true."""

    permission_classes = [IsArkidManager]

    @extend_schema(summary="A node's subtree", parameters=[USER_REQUIRED], responses=OpenApiTypes.OBJECT)
    def get(self, request, node_uid: str):
        group = queries.access_group(request.user, node_uid)
        subtree = list(queries.descendants(group, include_self=True))
        by_id = {g.pk: g for g in subtree}
        by_id[group.pk].parent = group.parent  # the root's parent is outside the subtree
        users = (
            users_by_group(subtree_member_rows(group)) if truthy(request.query_params.get("user_required")) else None
        )
        return Response(build_tree(group, subtree, info=lambda g: admin_info(g, by_id), users=users))


class NodeChildrenView(APIView):
    permission_classes = [IsArkidManager]  # a sub-administrator moves only nodes in scope

    @extend_schema(
        summary="A node's children (paginated when page or page_size is given)", responses=OpenApiTypes.OBJECT
    )
    def get(self, request, node_uid: str):
        group = queries.access_group(request.user, node_uid)
        return self._children_response(request, group)

    @extend_schema(summary="Create a child node", request=NodeCreateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request, node_uid: str):
        parent = queries.access_group(request.user, node_uid, for_write=True)
        body = NodeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        child = actions.create_group(
            actor=request.user,
            parent=parent,
            name=data["name"],
            uid=data.get("uid") or None,
            remark=data["remark"],
            visibility=data["visibility"],
        )
        return Response(admin_detail(child), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move nodes here or sort children", request=ChildrenPatchSerializer, responses=OpenApiTypes.OBJECT
    )
    def patch(self, request, node_uid: str):
        parent = queries.access_group(request.user, node_uid, for_write=True)
        body = ChildrenPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        nodes, missing = queries.resolve_node_uids(body.validated_data["node_uids"])
        if missing:
            raise unknown_nodes_error("node_uids", missing)
        scope.require_groups_in_scope(request.user, nodes, field="node_uids")
        if body.validated_data["subject"] == "add":
            actions.adopt_groups(parent, nodes, actor=request.user)
        else:
            actions.sort_children(parent, nodes, actor=request.user)
        return self._children_response(request, parent)

    @staticmethod
    def _children_response(request, group: Group) -> Response:
        """Paginated when the client asks for a page, otherwise the full list as in v1."""
        children = queries.children(group)
        if request.method == "GET" and {"page", "page_size"} & set(request.query_params):
            paginator = PageNumberPagination()
            page = paginator.paginate_queryset(children, request)
            return paginator.get_paginated_response([admin_info(g, {group.pk: group}) for g in page])
        return Response([admin_info(g, {group.pk: group}) for g in children])
