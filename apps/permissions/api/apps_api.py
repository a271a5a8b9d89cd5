"""Admin app API (ArkID v1 paths): ``app/`` list and create, ``app/<uid>/`` detail, change, delete;
also mounts the token check API (``auth/token/``). Shapes follow v1, see docs/apps.md."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsArkidManager, admin_or_holder
from apps.permissions import protocols
from apps.permissions.actions import apps as app_actions
from apps.permissions.models import App
from apps.permissions.queries import apps as app_queries

SCALAR_FIELDS = ("name", "uid", "logo", "index", "remark", "allow_any_user")
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _access_perm(app: App) -> dict | None:
    perms = getattr(app, "access_perms", None)
    if perms is None:  # not prefetched (a single app)
        perms = list(app.perms.filter(kind="access"))
    return {"uid": perms[0].uid, "name": perms[0].name} if perms else None


def render_app(app: App, one_time: dict | None = None) -> dict:
    """v1's app body. ``one_time`` (secrets issued by this very request) is merged into the
    protocol sub-objects; it is never stored, so later reads cannot show it."""
    configs = {p.name: p.config for p in app.protocols.all()}
    body = {
        "app_id": app.pk,
        "uid": app.uid,
        "name": app.name,
        "logo": app.logo,
        "index": app.index,
        "remark": app.remark,
        "allow_any_user": app.allow_any_user,
        "access_perm": _access_perm(app),
        "auth_protocols": [],
    }
    for key in protocols.known_names():
        handler = protocols.handler_for(key)
        if handler is None or key not in configs:
            body[key] = None
            continue
        body[key] = {**handler.detail(app, configs[key]), **(one_time or {}).get(key, {})}
        body["auth_protocols"].append(handler.label)
    return body


def _as_bool(field: str, value):
    """JSON booleans, or the words a form sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError({field: [_("Must be true or false.")]})


def parse_body(data) -> tuple[dict, dict]:
    """(scalar fields present, protocol sub-objects present) from a v1 body. ``auth_protocols``
    is accepted for compatibility and checked, but the sub-objects decide (as v1 computed it)."""
    if not hasattr(data, "get"):
        raise ValidationError({"detail": [_("Send a JSON object.")]})
    fields = {key: data.get(key) for key in SCALAR_FIELDS if key in data}
    if "allow_any_user" in fields:
        fields["allow_any_user"] = _as_bool("allow_any_user", fields["allow_any_user"])
    if hasattr(data, "getlist"):  # a form repeats the key once per protocol
        listed = data.getlist("auth_protocols")
    else:
        listed = data.get("auth_protocols") if "auth_protocols" in data else []
    if listed is not None and (not isinstance(listed, list) or not all(isinstance(x, str) for x in listed)):
        raise ValidationError({"auth_protocols": [_("Must be a list of protocol names.")]})
    subs = {key: data.get(key) for key in protocols.known_names() if key in data}
    return fields, subs


class AppSerializer(serializers.Serializer):
    """Documents the shape (the schema); bodies are built by :func:`render_app`."""

    app_id = serializers.IntegerField()
    uid = serializers.CharField()
    name = serializers.CharField()
    logo = serializers.CharField()
    index = serializers.CharField()
    remark = serializers.CharField()
    allow_any_user = serializers.BooleanField()
    access_perm = serializers.DictField()
    auth_protocols = serializers.ListField(child=serializers.CharField())
    oauth_app = serializers.DictField(allow_null=True)
    ldap_app = serializers.DictField(allow_null=True)
    http_app = serializers.DictField(allow_null=True)

    def to_representation(self, instance):
        return render_app(instance)


class AppListView(ListAPIView):
    """Sub-administrators list the apps they manage and create apps with ``system_app_create``
    (they then get a manager group managing the new app)."""

    serializer_class = AppSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [admin_or_holder("create_app")()]
        return [IsArkidManager()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no real request
            return App.objects.none()
        return app_queries.for_display(app_queries.list_apps(self.request.user, self.request.query_params))

    @extend_schema(summary="List apps (?name=)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="Create an app with its access permission", request=None, responses={201: AppSerializer})
    def post(self, request):
        fields, subs = parse_body(request.data)
        name = fields.pop("name", None)
        app, one_time = app_actions.create_app(actor=request.user, name=name, protocols=subs, **fields)
        return Response(render_app(app, one_time), status=status.HTTP_201_CREATED)


class AppDetailView(APIView):
    permission_classes = [IsArkidManager]  # then only the apps the actor manages (else 404)

    @extend_schema(summary="An app", responses=AppSerializer)
    def get(self, request, uid: str):
        return Response(render_app(app_queries.access_app(request.user, uid)))

    @extend_schema(summary="Change an app (null for a protocol removes it)", request=None, responses=AppSerializer)
    def patch(self, request, uid: str):
        app = app_queries.access_app(request.user, uid)
        fields, subs = parse_body(request.data)
        app, one_time = app_actions.update_app(app, actor=request.user, fields=fields, protocols=subs)
        return Response(render_app(app, one_time))

    @extend_schema(summary="Delete an app, its permissions and protocols", responses={204: None})
    def delete(self, request, uid: str):
        app_actions.delete_app(app_queries.access_app(request.user, uid), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("app/", AppListView.as_view(), name="app-list"),
    path("app/<str:uid>/", AppDetailView.as_view(), name="app-detail"),
]
