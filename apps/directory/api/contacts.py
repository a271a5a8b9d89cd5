"""The address book (``ucenter/…``) for every active user, honouring group visibility.

Hidden groups and colleagues answer 404, as if they did not exist; a group shown by name only
answers its name and ``"state": "name_only"`` but never its members.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import PageNumberPagination
from apps.core.permissions import IsActiveUser
from apps.directory import visibility
from apps.directory.api.nodes_admin import USER_REQUIRED, truthy
from apps.directory.api.nodes_render import build_tree, subtree_member_rows, users_by_group
from apps.directory.models import Group, User
from apps.directory.queries import groups as queries
from apps.directory.queries.groups import node_subject
from apps.directory.visibility import NodeState

COLLEAGUE_FIELDS = ("username", "name", "email", "mobile", "position", "employee_number", "avatar", "gender")


class ColleagueSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = COLLEAGUE_FIELDS
        read_only_fields = COLLEAGUE_FIELDS


def contact_info(group: Group, state: NodeState) -> dict:
    info = {"uid": group.uid, "node_uid": group.node_uid, "node_subject": node_subject(group.type), "name": group.name}
    if state == NodeState.VISIBLE:
        info["remark"] = group.remark
    info["state"] = str(state)
    return info


class ContactsView(APIView):
    permission_classes = [IsActiveUser]

    def viewer(self) -> visibility.Viewer:
        return visibility.viewer_for(self.request.user)


class ContactNodeView(ContactsView):
    @extend_schema(summary="A node in the address book", responses=OpenApiTypes.OBJECT)
    def get(self, request, node_uid: str):
        group = queries.resolve_node_uid(node_uid)
        state = visibility.group_state(self.viewer(), group)
        if state == NodeState.HIDDEN:
            raise Http404
        return Response(contact_info(group, state))


class ContactTreeView(ContactsView):
    """The visible part of a subtree: one descendants query, one visibility query, and one
    members query when ``user_required``; members only under fully visible nodes."""

    @extend_schema(summary="The visible subtree", parameters=[USER_REQUIRED], responses=OpenApiTypes.OBJECT)
    def get(self, request, node_uid: str):
        group = queries.resolve_node_uid(node_uid)
        subtree = list(queries.descendants(group, include_self=True))
        states = visibility.subtree_states(self.viewer(), group, subtree)
        if states[group.pk] == NodeState.HIDDEN:
            raise Http404
        users = None
        if truthy(request.query_params.get("user_required")):
            rows = subtree_member_rows(group, active_only=True)
            users = users_by_group(r for r in rows if states.get(r["group_id"]) == NodeState.VISIBLE)
        tree = build_tree(
            group,
            subtree,
            info=lambda g: contact_info(g, states[g.pk]),
            include=lambda g: states[g.pk] != NodeState.HIDDEN,
            users=users,
        )
        return Response(tree)


class ContactMembersView(ContactsView):
    @extend_schema(summary="Members of a fully visible node", responses=ColleagueSerializer(many=True))
    def get(self, request, node_uid: str):
        group = queries.resolve_node_uid(node_uid)
        state = visibility.group_state(self.viewer(), group)
        if state == NodeState.HIDDEN:
            raise Http404
        if state == NodeState.NAME_ONLY:
            raise PermissionDenied("The members of this group are not visible to you.")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queries.members(group).filter(is_active=True), request)
        return paginator.get_paginated_response(ColleagueSerializer(page, many=True).data)


class ColleagueView(ContactsView):
    @extend_schema(summary="A colleague's card", responses=OpenApiTypes.OBJECT)
    def get(self, request, username: str):
        user = User.objects.filter(username=username.strip().lower(), is_active=True).first()
        viewer = self.viewer()
        if user is None or not visibility.can_see_user(viewer, user):
            raise Http404
        nodes = [contact_info(g, NodeState.VISIBLE) for g in visibility.visible_groups_of(viewer, user)]
        return Response({**ColleagueSerializer(user).data, "nodes": nodes})


class ContactSearchSerializer(serializers.Serializer):
    keyword = serializers.CharField(max_length=100)


class ContactSearchView(ContactsView):
    """Colleagues the viewer may see whose username, name, email or mobile contains ``keyword``."""

    @extend_schema(
        summary="Search visible colleagues",
        parameters=[ContactSearchSerializer],
        responses=ColleagueSerializer(many=True),
    )
    def get(self, request):
        params = ContactSearchSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        keyword = params.validated_data["keyword"]
        matches = visibility.visible_users(self.viewer()).filter(
            Q(username__icontains=keyword)
            | Q(name__icontains=keyword)
            | Q(email__icontains=keyword)
            | Q(mobile__icontains=keyword)
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(matches.order_by("username"), request)
        return paginator.get_paginated_response(ColleagueSerializer(page, many=True).data)
