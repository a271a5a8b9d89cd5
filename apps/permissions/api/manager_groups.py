"""Sub-administrator groups: ``manager_group/`` and ``manager_group/<uid>/`` (administrators
only: a sub-administrator can never widen their own scope), and ``ucenter/manage_scope/``
(what the current user may manage).

Body (every key optional on PATCH; a list replaces the current one)::

    {"uid": "hr-admins", "name": "HR", "remark": "",
     "scope_subject": 1 | 2,          # 1: the members' own groups and descendants; 2: listed
     "members": ["alice"],            # usernames of the sub-administrators
     "member_nodes": ["g_hr-admins"], # node uids whose direct members are sub-administrators
     "nodes": ["d_hr"], "users": ["bob"],  # the listed scope (scope_subject 2)
     "apps": ["wiki"], "perms": ["system_user_create", ...]}
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsActiveUser
from apps.directory.models import Group, User
from apps.directory.queries.groups import resolve_node_uids, resolve_usernames
from apps.directory.scope import resolve_scope
from apps.permissions.actions import manager_groups as actions
from apps.permissions.api.perm_render import body, paginate
from apps.permissions.models import App, ManagerGroup, Permission

MAX_ITEMS = 1000
# body key -> (model relation, resolver returning (found, missing))
RELATION_KEYS = {
    "members": "member_users",
    "member_nodes": "member_groups",
    "users": "scope_users",
    "nodes": "scope_groups",
    "apps": "apps",
    "perms": "perms",
}


def _uids(data: dict, key: str) -> list[str] | None:
    raw = data.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ValidationError({key: [_("Give a list of uids.")]})
    if len(raw) > MAX_ITEMS:
        raise ValidationError({key: [_("At most %(n)d items.") % {"n": MAX_ITEMS}]})
    return list(dict.fromkeys(x.strip() for x in raw))


def _by_uid(model, field: str, uids: list[str]) -> tuple[list, list[str]]:
    found = {getattr(obj, field): obj for obj in model.objects.filter(**{f"{field}__in": uids})}
    return [found[u] for u in uids if u in found], [u for u in uids if u not in found]


def _resolve(key: str, uids: list[str]) -> tuple[list, list[str]]:
    if key in ("members", "users"):
        return resolve_usernames(uids)
    if key in ("member_nodes", "nodes"):
        return resolve_node_uids(uids)
    if key == "apps":
        return _by_uid(App, "uid", uids)
    return _by_uid(Permission, "uid", uids)


def parse_body(data: dict) -> dict:
    """Model fields and resolved relations; unknown uids are a 400 naming them per key."""
    fields = {key: data[key] for key in ("name", "remark", "scope_subject") if key in data}
    errors = {}
    for key, relation in RELATION_KEYS.items():
        try:
            uids = _uids(data, key)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if uids is None:
            continue
        found, missing = _resolve(key, uids)
        if missing:
            errors[key] = [_("Unknown: %(uids)s.") % {"uids": ", ".join(missing)}]
        fields[relation] = found
    if errors:
        raise ValidationError(errors)
    return fields


def with_relations(groups):
    return groups.prefetch_related(
        Prefetch("member_users", queryset=User.objects.order_by("id")),
        Prefetch("member_groups", queryset=Group.objects.select_related("type").order_by("id")),
        Prefetch("scope_users", queryset=User.objects.order_by("id")),
        Prefetch("scope_groups", queryset=Group.objects.select_related("type").order_by("id")),
        Prefetch("apps", queryset=App.objects.order_by("id")),
        Prefetch("perms", queryset=Permission.objects.order_by("uid")),
    )


def render(group: ManagerGroup) -> dict:
    return {
        "uid": group.uid,
        "name": group.name,
        "remark": group.remark,
        "scope_subject": group.scope_subject,
        "members": [u.username for u in group.member_users.all()],
        "member_nodes": [g.node_uid for g in group.member_groups.all()],
        "users": [u.username for u in group.scope_users.all()],
        "nodes": [g.node_uid for g in group.scope_groups.all()],
        "apps": [a.uid for a in group.apps.all()],
        "perms": [p.uid for p in group.perms.all()],
    }


class ManagerGroupSchema(serializers.Serializer):
    """Documents :func:`render`'s shape (the views render dicts)."""

    uid = serializers.CharField()
    name = serializers.CharField()
    remark = serializers.CharField()
    scope_subject = serializers.IntegerField()
    members = serializers.ListField(child=serializers.CharField())
    member_nodes = serializers.ListField(child=serializers.CharField())
    users = serializers.ListField(child=serializers.CharField())
    nodes = serializers.ListField(child=serializers.CharField())
    apps = serializers.ListField(child=serializers.CharField())
    perms = serializers.ListField(child=serializers.CharField())


def _get(uid: str) -> ManagerGroup:
    group = with_relations(ManagerGroup.objects.filter(uid=uid)).first()
    if group is None:
        raise Http404(_("No such sub-administrator group."))
    return group


class ManagerGroupListView(APIView):
    # Administrators only (the API default): a sub-administrator must not widen their scope.

    @extend_schema(summary="List sub-administrator groups", responses=ManagerGroupSchema(many=True))
    def get(self, request):
        return paginate(
            request, self, with_relations(ManagerGroup.objects.order_by("id")), lambda page: [render(g) for g in page]
        )

    @extend_schema(summary="Create a sub-administrator group", request=None, responses={201: dict})
    def post(self, request):
        data = body(request)
        group = actions.create_manager_group(actor=request.user, uid=data.get("uid"), **parse_body(data))
        return Response(render(_get(group.uid)), status=status.HTTP_201_CREATED)


class ManagerGroupDetailView(APIView):
    @extend_schema(summary="A sub-administrator group", responses=ManagerGroupSchema)
    def get(self, request, uid: str):
        return Response(render(_get(uid)))

    @extend_schema(summary="Change a sub-administrator group", request=None, responses={200: dict})
    def patch(self, request, uid: str):
        group = actions.update_manager_group(_get(uid), parse_body(body(request)), actor=request.user)
        return Response(render(_get(group.uid)))

    @extend_schema(summary="Delete a sub-administrator group", responses={204: None})
    def delete(self, request, uid: str):
        actions.delete_manager_group(_get(uid), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def manage_scope_body(user) -> dict:
    """What ``user`` may manage, for the console to shape its menus (also in the login body)."""
    found = resolve_scope(user)
    if found.is_admin:
        return {
            "is_admin": True,
            "is_manager": False,
            "perms": ["system_oneid_all"],
            "apps": [],
            "nodes": [],
            "users": [],
        }
    tops = Group.objects.filter(path__in=found.group_paths).select_related("type").order_by("path")
    return {
        "is_admin": False,
        "is_manager": found.is_manager,
        "perms": sorted(found.perms),
        "apps": list(App.objects.filter(pk__in=sorted(found.app_ids)).order_by("id").values_list("uid", flat=True)),
        "nodes": [g.node_uid for g in tops],  # scope tops; their descendants are in scope too
        "users": list(User.objects.filter(pk__in=found.user_ids).order_by("id").values_list("username", flat=True)),
    }


class ManageScopeView(APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(summary="What the current user may manage", responses={200: dict})
    def get(self, request):
        return Response(manage_scope_body(request.user))


urlpatterns = [
    path("manager_group/", ManagerGroupListView.as_view(), name="manager-group-list"),
    path("manager_group/<str:uid>/", ManagerGroupDetailView.as_view(), name="manager-group-detail"),
    path("ucenter/manage_scope/", ManageScopeView.as_view(), name="ucenter-manage-scope"),
]
