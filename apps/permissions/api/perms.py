"""ArkID v1's permission API: ``perm/``, ``perm/<uid>/``, ``perm/<uid>/owner/`` and the result
list ``perm/<uid>/result/`` (also ``holders/``). Sub-administrators reach the permissions of the apps they manage, and
grant them only to users and groups in their scope (see queries/perms.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import include, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsArkidManager
from apps.directory.queries.groups import resolve_node_uids, resolve_usernames
from apps.directory.scope import require_groups_in_scope, require_users_in_scope, resolve_scope
from apps.permissions import engine
from apps.permissions.actions import perms as perm_actions
from apps.permissions.actions import statuses as status_actions
from apps.permissions.api.perm_render import (
    PermSchema,
    body,
    missing_error,
    paginate,
    perm_ref,
    status_entries,
    status_param,
)
from apps.permissions.queries import perms as queries
from apps.permissions.queries.apps import manageable_apps


def check_owner_scope(actor, users: list, groups: list, *, clean: bool) -> None:
    """A sub-administrator sets statuses only for users they may change and groups in their
    scope, and may not ``clean`` (that would also clear owners outside their scope)."""
    if resolve_scope(actor).is_admin:
        return
    if clean:
        raise ValidationError({"clean": [_("Only administrators may clear every owner's status.")]})
    require_users_in_scope(actor, users, field="user_perm_status", for_write=True)
    require_groups_in_scope(actor, groups, field="node_perm_status")


class PermListView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(summary="List permissions", responses=PermSchema(many=True))
    def get(self, request):
        p = request.query_params
        filters = queries.PermFilters(
            scope=p.get("scope", ""), action=p.get("action", ""), action_except=p.get("action_except", ""),
            name=p.get("name", ""),
        )  # fmt: skip
        owner_subject = p.get("owner_subject", "")
        perms = queries.list_perms(request.user, filters)

        def render(page):
            owners = queries.first_owners(request.user, page, owner_subject) if owner_subject else {}
            return [{**perm_ref(perm), **(owners[perm.pk] if owner_subject else {})} for perm in page]

        return paginate(request, self, perms, render)

    @extend_schema(summary="Create a custom permission of an app", request=None, responses={201: dict})
    def post(self, request):
        data = body(request)
        app = manageable_apps(request.user).filter(uid=str(data.get("scope") or "")).first()
        if app is None:
            raise ValidationError({"scope": [_("No app with this uid.")]})
        perm = perm_actions.create_permission(
            actor=request.user, app=app, name=data.get("name"), action=data.get("action") or None
        )
        return Response(perm_ref(perm), status=201)


class PermDetailView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(summary="A permission", responses={200: dict})
    def get(self, request, uid: str):
        return Response(perm_ref(queries.get_perm(request.user, uid)))

    @extend_schema(summary="Rename a permission", request=None, responses={200: dict})
    def patch(self, request, uid: str):
        perm = queries.get_perm(request.user, uid)
        data = body(request)
        if "name" in data:
            perm = perm_actions.rename_permission(perm, data["name"], actor=request.user)
        return Response(perm_ref(perm))

    @extend_schema(summary="Delete a custom permission", responses={204: None})
    def delete(self, request, uid: str):
        perm_actions.delete_permission(queries.get_perm(request.user, uid), actor=request.user)
        return Response(status=204)


class PermOwnerView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(summary="A permission's white and black lists", responses={200: dict})
    def get(self, request, uid: str):
        perm = queries.get_perm(request.user, uid)
        p = request.query_params
        rows = queries.owner_statuses(
            request.user, perm, p.get("owner_subject", queries.OWNER_ALL), status_param(p.get("status"))
        )
        return paginate(request, self, rows, lambda page: [queries.describe_owner(r) for r in page])

    @extend_schema(summary="Set a permission's owners' statuses", request=None, responses={200: dict})
    def patch(self, request, uid: str):
        perm = queries.get_perm(request.user, uid)
        data = body(request)
        user_entries = status_entries(data, "user_perm_status")
        node_entries = status_entries(data, "node_perm_status")
        users, missing_users = resolve_usernames(u for u, _ in user_entries)
        if missing_users:
            raise missing_error("user_perm_status", missing_users)
        groups, missing_nodes = resolve_node_uids(n for n, _ in node_entries)
        if missing_nodes:
            raise missing_error("node_perm_status", missing_nodes)
        check_owner_scope(request.user, users, groups, clean=bool(data.get("clean", False)))
        by_name = {u.username: u for u in users}
        by_node = {g.node_uid: g for g in groups}
        status_actions.set_statuses(
            perm,
            actor=request.user,
            user_statuses=[(by_name[u.strip().lower()], s) for u, s in user_entries],
            group_statuses=[(by_node[n], s) for n, s in node_entries],
            clean=bool(data.get("clean", False)),
        )
        rows = queries.owner_statuses(request.user, perm)
        return paginate(request, self, rows, lambda page: [queries.describe_owner(r) for r in page])


class PermResultView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(summary="The users holding a permission, with why", responses={200: dict})
    def get(self, request, uid: str):
        perm = queries.get_perm(request.user, uid)
        users = queries.scoped_holders(
            request.user, engine.holders(perm, keyword=request.query_params.get("keyword", "").strip())
        )

        def render(page):
            sources = engine.sources_for(perm, page)
            return [
                {"username": u.username, "name": u.name, "uuid": str(u.uuid), "is_admin": u.is_admin, **sources[u.pk]}
                for u in page
            ]

        return paginate(request, self, users, render)


perm_patterns = [
    path("", PermListView.as_view(), name="perm-list"),
    path("<str:uid>/", PermDetailView.as_view(), name="perm-detail"),
    path("<str:uid>/owner/", PermOwnerView.as_view(), name="perm-owner"),
    path("<str:uid>/result/", PermResultView.as_view(), name="perm-result"),
    path("<str:uid>/holders/", PermResultView.as_view(), name="perm-holders"),
]

urlpatterns = [
    # perm/user/… and perm/node/… come first: "user" and "node" are not perm uids.
    path("", include("apps.permissions.api.perm_subjects")),
    path("perm/", include(perm_patterns)),
]
