"""``ucenter/profile/``: the logged-in user's own profile (v1).

Editable: name, email, gender, avatar, position, remark and visible custom fields. Username,
mobile, private email, employee number and nodes are read-only here (changing the mobile or
private email needs a verification code). Other keys are ignored, as in v1.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsActiveUser
from apps.directory import scope
from apps.directory.actions import users as user_actions
from apps.directory.serializers_users import (
    PROFILE_INPUT_FIELDS,
    UserSerializer,
    custom_values_from,
    pick_fields,
    render_user,
    user_body,
)


def _render_profile(user) -> dict:
    """The profile, with the user's management role so the console can shape its menus."""
    found = scope.resolve_scope(user)
    return {
        **render_user(user, visible_only=True),
        "is_admin": user.is_admin,
        "is_manager": found.is_manager,
        "manager_perms": sorted(found.perms),
    }


class ProfileView(APIView):
    permission_classes = [IsActiveUser]
    # A user held at the forced password change may still read who they are.
    allowed_during_password_change = ("GET",)

    @extend_schema(summary="My profile", responses=UserSerializer)
    def get(self, request):
        return Response(_render_profile(request.user))

    @extend_schema(summary="Change my profile", request=None, responses=UserSerializer)
    def patch(self, request):
        body = user_body(request.data)
        user_actions.update_user(
            request.user,
            pick_fields(body, PROFILE_INPUT_FIELDS),
            actor=request.user,
            custom_values=custom_values_from(body, request.data),
            visible_only=True,
        )
        return Response(_render_profile(request.user))


urlpatterns = [
    path("ucenter/profile/", ProfileView.as_view(), name="profile"),
]
