"""One owner's permissions (v1): ``perm/user/<username>/``, ``perm/node/<node_uid>/`` (also
``perm/dept/<uid>/`` and ``perm/group/<uid>/``), and one user's explanation
``user/<username>/perm/<perm_uid>/`` with its ``result/``.

GET lists every permission (``?scope=&action=&action_except=&name=``, paginated) as
``{uid, perm: {...}, status, value}``: ``status`` is the owner's own explicit status (0 when
none), ``value`` the result. PATCH takes ``{perm_statuses: [{uid, status}]}`` and answers
with the first page of the listing.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsArkidManager
from apps.directory.models import Group
from apps.directory.queries.groups import access_group
from apps.permissions import engine
from apps.permissions.actions import statuses as status_actions
from apps.permissions.api.perm_render import body, missing_error, paginate, perm_ref, status_entries
from apps.permissions.queries import perms as queries


def _filters(request) -> queries.PermFilters:
    p = request.query_params
    return queries.PermFilters(
        scope=p.get("scope", ""), action=p.get("action", ""), action_except=p.get("action_except", ""),
        name=p.get("name", ""),
    )  # fmt: skip


def _perm_statuses(request):
    entries = status_entries(body(request), "perm_statuses", required=True)
    found, missing = queries.resolve_perm_uids(request.user, (uid for uid, _ in entries))
    if missing:
        raise missing_error("perm_statuses", missing)
    return [(found[uid], status) for uid, status in entries]


def _item(perm, status: int, value: bool) -> dict:
    return {"uid": perm.uid, "perm": perm_ref(perm), "status": status, "value": value}


class UserPermsView(APIView):
    permission_classes = [IsArkidManager]  # sub-administrators: their apps' perms, their users

    def _render(self, request, user):
        held = engine.user_perms(user)

        def render(page):
            own = queries.own_statuses("user", user, page)
            return [_item(p, own.get(p.pk, 0), p.uid in held) for p in page]

        return paginate(request, self, queries.list_perms(request.user, _filters(request)), render)

    @extend_schema(summary="A user's permissions", responses={200: dict})
    def get(self, request, username: str):
        return self._render(request, queries.get_user(request.user, username))

    @extend_schema(summary="Set a user's permission statuses", request=None, responses={200: dict})
    def patch(self, request, username: str):
        user = queries.get_user(request.user, username, for_write=True)
        status_actions.set_user_perm_statuses(user, _perm_statuses(request), actor=request.user)
        return self._render(request, user)


class NodePermsView(APIView):
    permission_classes = [IsArkidManager]
    prefix = ""  # "d_" for perm/dept/<uid>/, "g_" for perm/group/<uid>/, "" for node uids

    def _render(self, request, group: Group):
        def render(page):
            own = queries.own_statuses("group", group, page)
            values = queries.group_values(group, page)
            return [_item(p, own.get(p.pk, 0), values[p.pk]) for p in page]

        return paginate(request, self, queries.list_perms(request.user, _filters(request)), render)

    @extend_schema(summary="A group's permissions", responses={200: dict})
    def get(self, request, uid: str):
        return self._render(request, access_group(request.user, self.prefix + uid))

    @extend_schema(summary="Set a group's permission statuses", request=None, responses={200: dict})
    def patch(self, request, uid: str):
        group = access_group(request.user, self.prefix + uid, for_write=True)
        status_actions.set_group_perm_statuses(group, _perm_statuses(request), actor=request.user)
        return self._render(request, group)


class UserPermExplainView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(summary="Whether a user holds a permission, and why", responses={200: dict})
    def get(self, request, username: str, perm_uid: str):
        user = queries.get_user(request.user, username)
        perm = queries.get_perm(request.user, perm_uid)
        why = engine.explain(user, perm)
        return Response(
            {
                "perm": perm_ref(perm),
                "status": why["status"],
                "value": why["result"],
                "decided_by": why["decided_by"],
                "source": why["sources"],
            }
        )


class UserPermResultView(APIView):
    permission_classes = [IsArkidManager]

    @extend_schema(summary="Whether a user holds a permission", responses={200: dict})
    def get(self, request, username: str, perm_uid: str):
        user = queries.get_user(request.user, username)
        perm = queries.get_perm(request.user, perm_uid)
        return Response({"value": engine.has_perm(user, perm)})


urlpatterns = [
    path("perm/user/<str:username>/", UserPermsView.as_view(), name="perm-user"),
    path("perm/node/<str:uid>/", NodePermsView.as_view(), name="perm-node"),
    path("perm/dept/<str:uid>/", NodePermsView.as_view(prefix="d_"), name="perm-dept"),
    path("perm/group/<str:uid>/", NodePermsView.as_view(prefix="g_"), name="perm-group"),
    path("user/<str:username>/perm/<str:perm_uid>/", UserPermExplainView.as_view(), name="user-perm"),
    path("user/<str:username>/perm/<str:perm_uid>/result/", UserPermResultView.as_view(), name="user-perm-result"),
]
