"""A user's memberships (v1): ``user/<username>/node/``, ``…/dept/`` and ``…/group/``.

GET lists the user's nodes of that kind; PATCH ``{<kind>_uids: [...], subject: add|delete|override}``.
``node/`` takes node uids (``d_…``/``g_…``); ``dept/`` and ``group/`` take bare uids like v1.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsArkidManager
from apps.directory import scope
from apps.directory.actions import users as user_actions
from apps.directory.models import GroupType, User
from apps.directory.queries import users as user_queries
from apps.directory.serializers_users import node_ref, uid_list

# kind -> (body key for uids, response key)
KINDS = {"node": ("node_uids", "nodes"), "dept": ("dept_uids", "depts"), "group": ("group_uids", "groups")}


def _nodes_of(user: User, kind: str) -> list[dict]:
    memberships = user.memberships.select_related("group__type").order_by("group_id")
    if kind == "dept":
        memberships = memberships.filter(group__type__key=GroupType.DEPARTMENT)
    elif kind == "group":
        memberships = memberships.exclude(group__type__key=GroupType.DEPARTMENT)
    return [node_ref(m.group) for m in memberships]


def check_scope(actor, user: User, groups: list, subject: str, key: str) -> None:
    """A sub-administrator names only groups in scope, and an ``override`` must not drop the
    user's memberships outside their scope (which they cannot see)."""
    scope.require_groups_in_scope(actor, groups, field=key)
    scope.require_plain_groups(actor, groups, field=key)
    if subject == "override":
        current = [m.group for m in user.memberships.select_related("group")]
        if scope.out_of_scope_groups(actor, current):
            raise ValidationError({"subject": [_("The user belongs to nodes outside your scope: use add or delete.")]})


class UserNodesView(APIView):
    permission_classes = [IsArkidManager]
    kind = "node"

    @extend_schema(summary="A user's nodes", responses={200: dict})
    def get(self, request, username: str):
        user = user_queries.access_user_by_username(request.user, username)
        return Response({KINDS[self.kind][1]: _nodes_of(user, self.kind)})

    @extend_schema(summary="Add, remove or replace a user's nodes", request=None, responses={200: dict})
    def patch(self, request, username: str):
        user = user_queries.access_user_by_username(request.user, username, for_write=True)
        data = request.data if isinstance(request.data, dict) else {}
        key = KINDS[self.kind][0]
        uids = uid_list(data, key)
        if uids is None:
            raise ValidationError({key: [_("This field is required.")]})
        subject = data.get("subject")
        if subject not in ("add", "delete", "override"):
            raise ValidationError({"subject": [_("Must be one of: add, delete, override.")]})
        groups = user_queries.resolve_node_uids(uids, field=key, kind=self.kind)
        check_scope(request.user, user, groups, subject, key)
        user_actions.change_user_nodes(user, groups, subject, actor=request.user, kind=self.kind)
        return Response({KINDS[self.kind][1]: _nodes_of(user, self.kind)})


urlpatterns = [
    path("user/<str:username>/node/", UserNodesView.as_view(kind="node"), name="user-nodes"),
    path("user/<str:username>/dept/", UserNodesView.as_view(kind="dept"), name="user-depts"),
    path("user/<str:username>/group/", UserNodesView.as_view(kind="group"), name="user-groups"),
]
