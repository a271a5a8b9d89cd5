"""``node/<node_uid>/user/``: a node's direct members (paginated, filtered) and v1's member PATCH
subjects ``add | delete | override | sort | move_out``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import PageNumberPagination
from apps.core.permissions import IsArkidManager
from apps.directory import scope
from apps.directory.actions import memberships
from apps.directory.models import User
from apps.directory.queries import groups as queries

MEMBER_FIELDS = (
    "uuid",
    "username",
    "name",
    "email",
    "mobile",
    "position",
    "employee_number",
    "avatar",
    "gender",
    "is_active",
    "created",
    "last_active_time",
)


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = MEMBER_FIELDS
        read_only_fields = MEMBER_FIELDS


class MemberFilterSerializer(serializers.Serializer):
    """ArkID v1's query parameters for member lists."""

    name = serializers.CharField(required=False, max_length=255)
    username = serializers.CharField(required=False, max_length=150)
    mobile = serializers.CharField(required=False, max_length=32)
    email = serializers.CharField(required=False, max_length=254)
    after_created = serializers.DateTimeField(required=False)
    before_created = serializers.DateTimeField(required=False)
    after_last_active_time = serializers.DateTimeField(required=False)
    before_last_active_time = serializers.DateTimeField(required=False)

    def filters(self) -> queries.MemberFilters:
        data = self.validated_data
        return queries.MemberFilters(
            name=data.get("name", ""),
            username=data.get("username", ""),
            mobile=data.get("mobile", ""),
            email=data.get("email", ""),
            created_after=data.get("after_created"),
            created_before=data.get("before_created"),
            active_after=data.get("after_last_active_time"),
            active_before=data.get("before_last_active_time"),
        )


class MembersPatchSerializer(serializers.Serializer):
    user_uids = serializers.ListField(child=serializers.CharField(max_length=150), max_length=5000)
    subject = serializers.ChoiceField(choices=["add", "delete", "override", "sort", "move_out"])
    node_uids = serializers.ListField(child=serializers.CharField(max_length=140), required=False, max_length=1000)

    def validate(self, attrs):
        if attrs["subject"] == "move_out" and not attrs.get("node_uids"):
            raise serializers.ValidationError({"node_uids": ["Name the nodes to move the users to."]})
        if attrs["subject"] != "override" and not attrs["user_uids"]:
            raise serializers.ValidationError({"user_uids": ["Name at least one user."]})
        return attrs


def member_page(request, group) -> Response:
    params = MemberFilterSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queries.members(group, params.filters()), request)
    return paginator.get_paginated_response(MemberSerializer(page, many=True).data)


def check_member_scope(actor, group, users: list, subject: str, targets: list) -> None:
    """A sub-administrator adds only users in scope, removes only users they may change, and
    never edits the members of a group that makes its members sub-administrators."""
    scope.require_plain_groups(actor, [group, *targets], field="node_uids")
    scope.require_groups_in_scope(actor, targets, field="node_uids")
    removing = subject in ("delete", "move_out")
    scope.require_users_in_scope(actor, users, field="user_uids", for_write=removing)
    if subject == "override":
        dropped = queries.members(group).exclude(pk__in=[u.pk for u in users])
        scope.require_all_changeable(actor, dropped, field="user_uids")


class NodeMembersView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(
        summary="A node's direct members", parameters=[MemberFilterSerializer], responses=MemberSerializer(many=True)
    )
    def get(self, request, node_uid: str):
        return member_page(request, queries.access_group(request.user, node_uid))

    @extend_schema(
        summary="Change a node's members", request=MembersPatchSerializer, responses=MemberSerializer(many=True)
    )
    def patch(self, request, node_uid: str):
        group = queries.access_group(request.user, node_uid, for_write=True)
        body = MembersPatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        users, missing = queries.resolve_usernames(data["user_uids"])
        if missing:
            raise serializers.ValidationError({"user_uids": [f"Unknown users: {', '.join(missing)}."]})
        subject = data["subject"]
        targets = []
        if subject == "move_out":
            targets, missing = queries.resolve_node_uids(data["node_uids"])
            if missing:
                raise serializers.ValidationError({"node_uids": [f"Unknown nodes: {', '.join(missing)}."]})
        check_member_scope(request.user, group, users, subject, targets)
        if subject == "move_out":
            memberships.move_out(group, users, targets, actor=request.user)
        else:
            apply = {
                "add": memberships.add_members,
                "delete": memberships.remove_members,
                "override": memberships.override_members,
                "sort": memberships.sort_members,
            }[subject]
            apply(group, users, actor=request.user)
        return member_page(request, group)
