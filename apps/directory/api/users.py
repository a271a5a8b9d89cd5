"""Admin user API (ArkID v1 paths): ``user/``, ``user/<username>/``, ``user/<username>/password/``,
``slice/delete/``; includes the membership, profile, CSV and custom field routes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import include, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsArkidManager, admin_or_holder
from apps.directory import scope
from apps.directory.actions import users as user_actions
from apps.directory.models import User
from apps.directory.queries import users as user_queries
from apps.directory.serializers_users import (
    ADMIN_INPUT_FIELDS,
    UserSerializer,
    custom_values_from,
    pick_fields,
    render_user,
    uid_list,
    user_body,
)


def groups_from_body(data: dict) -> list:
    """Groups named by v1's ``node_uids``, ``dept_uids`` and ``group_uids`` (all optional)."""
    groups, errors = [], {}
    for key, kind in (("node_uids", "node"), ("dept_uids", "dept"), ("group_uids", "group")):
        try:
            uids = uid_list(data, key)
            if uids:
                groups += user_queries.resolve_node_uids(uids, field=key, kind=kind)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(groups))


def groups_for_new_user(actor, data: dict) -> list:
    """The new user's groups; a sub-administrator must name at least one, all in scope,
    or the user they create would at once be outside their reach."""
    groups = groups_from_body(data)
    if not scope.resolve_scope(actor).is_admin:
        if not groups:
            raise ValidationError({"node_uids": [_("Give at least one node inside your scope.")]})
        scope.require_groups_in_scope(actor, groups, field="node_uids")
        scope.require_plain_groups(actor, groups, field="node_uids")
    return groups


class UserListView(ListAPIView):
    """Administrators see everyone; sub-administrators the users in their scope, and they
    create users only with ``system_user_create`` and only into groups in their scope."""

    serializer_class = UserSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [admin_or_holder("create_user")()]
        return [IsArkidManager()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no real request
            return User.objects.none()
        return user_queries.for_display(user_queries.list_users(self.request.user, self.request.query_params))

    @extend_schema(summary="List users (v1 filters, see docs/users-api.md)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Create a user", request=None, responses={201: UserSerializer})
    def post(self, request):
        body = user_body(request.data)
        fields = pick_fields(body, ADMIN_INPUT_FIELDS)
        user = user_actions.create_user(
            actor=request.user,
            password=body.get("password") or None,
            groups=groups_for_new_user(request.user, request.data),
            custom_values=custom_values_from(body, request.data),
            **fields,
        )
        return Response(render_user(user), status=status.HTTP_201_CREATED)


class UserDetailView(APIView):
    permission_classes = [IsArkidManager]  # each user is then looked up in the actor's scope

    @extend_schema(summary="A user", responses=UserSerializer)
    def get(self, request, username: str):
        user = user_queries.access_user_by_username(request.user, username)
        return Response(UserSerializer(user).data)

    @extend_schema(summary="Change a user (username is immutable)", request=None, responses=UserSerializer)
    def patch(self, request, username: str):
        user = user_queries.access_user_by_username(request.user, username, for_write=True)
        body = user_body(request.data)
        fields = pick_fields(body, ADMIN_INPUT_FIELDS)
        user_actions.update_user(user, fields, actor=request.user, custom_values=custom_values_from(body, request.data))
        return Response(render_user(user))

    @extend_schema(summary="Delete a user", responses={204: None})
    def delete(self, request, username: str):
        user = user_queries.access_user_by_username(request.user, username, for_write=True)
        user_actions.delete_user(user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserPasswordView(APIView):
    # Looked up for writing: a sub-administrator never reaches an administrator's password.
    permission_classes = [IsArkidManager]

    @extend_schema(summary="Set a user's password (admin)", request=None, responses=UserSerializer)
    def patch(self, request, username: str):
        user = user_queries.access_user_by_username(request.user, username, for_write=True)
        data = request.data if isinstance(request.data, dict) else {}
        must_reset = data.get("require_reset_password", False)
        if not isinstance(must_reset, bool):
            raise ValidationError({"require_reset_password": [_("Must be true or false.")]})
        user_actions.set_password(user, data.get("password"), actor=request.user, must_reset=must_reset)
        return Response(render_user(user))


class BulkDeleteView(APIView):
    permission_classes = [IsArkidManager]  # all or nothing: one user out of reach refuses all

    @extend_schema(summary="Delete several users, all or nothing", request=None, responses={204: None})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        usernames = uid_list(data, "user_uids")
        if not usernames:
            raise ValidationError({"user_uids": [_("Give the usernames to delete.")]})
        users, unknown = user_queries.access_users_by_username(request.user, usernames, for_write=True)
        if unknown:
            raise ValidationError({"user_uids": [_("Unknown users: %(names)s.") % {"names": ", ".join(unknown)}]})
        user_actions.bulk_delete_users(users, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("user/", UserListView.as_view(), name="user-list"),
    path("user/<str:username>/", UserDetailView.as_view(), name="user-detail"),
    path("user/<str:username>/password/", UserPasswordView.as_view(), name="user-password"),
    path("slice/delete/", BulkDeleteView.as_view(), name="user-bulk-delete"),
    path("", include("apps.directory.api.users_memberships")),
    path("", include("apps.directory.api.users_profile")),
    path("", include("apps.directory.api.csv_io")),
    path("", include("apps.directory.api.custom_fields")),
]
