"""Audit log API (administrators only): ``log/``, ``log/<uuid>/`` and ``meta/log/``.

Query parameters keep ArkID v1's names (``subject``, ``user``, ``days``, ``summary``) next to
the clearer ones (``action``, ``actor``, ``keyword``); lists may be separated by ``,`` or ``|``.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit import queries
from apps.audit.models import Action, Event, Outcome
from apps.audit.pagination import AuditLogPagination
from apps.core.dates import parse_moment
from apps.core.permissions import admin_or_holder

# Administrators, and sub-administrators holding system_log_read, read the whole log.
LOG_READERS = [admin_or_holder("read_log")]

_LIST_SEPARATOR = re.compile(r"[,|]")


class ActionListField(serializers.CharField):
    """One action or a ``,``/``|`` separated list of them; each must be an Action value."""

    def to_internal_value(self, data) -> tuple[str, ...]:
        text = super().to_internal_value(data)
        values = tuple(dict.fromkeys(v.strip() for v in _LIST_SEPARATOR.split(text) if v.strip()))
        unknown = [v for v in values if v not in Action.values]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown action: %(actions)s. See meta/log/ for the list.") % {"actions": ", ".join(unknown)}
            )
        return values


class MomentField(serializers.CharField):
    """An ISO 8601 datetime, or a date: the start of that day, or its end when ``end_of_day``."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> dt.datetime:
        try:
            return parse_moment(super().to_internal_value(data), end_of_day=self.end_of_day)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class EventFilterSerializer(serializers.Serializer):
    action = ActionListField(required=False, help_text="Action value(s), comma separated.")
    subject = ActionListField(required=False, help_text="ArkID v1 name for `action`.")
    actor = serializers.CharField(required=False, max_length=150, help_text="Username of whoever acted.")
    user = serializers.CharField(required=False, max_length=150, help_text="ArkID v1 name for `actor`.")
    days = serializers.IntegerField(required=False, min_value=1, max_value=36500, help_text="Only the last N days.")
    created__gte = MomentField(required=False, help_text="From this date or datetime (inclusive).")
    created__lte = MomentField(required=False, end_of_day=True, help_text="Up to this date or datetime (inclusive).")
    keyword = serializers.CharField(
        required=False, max_length=100, help_text="Matches the target name, the actor name or the action."
    )
    summary = serializers.CharField(required=False, max_length=100, help_text="ArkID v1 name for `keyword`.")
    outcome = serializers.ChoiceField(required=False, choices=Outcome.choices)
    ip = serializers.IPAddressField(required=False, help_text="Client IP address.")

    def validate(self, attrs):
        since, until = attrs.get("created__gte"), attrs.get("created__lte")
        if since and until and since > until:
            raise serializers.ValidationError({"created__lte": [_("Must not be earlier than created__gte.")]})
        return attrs

    def to_filter(self) -> queries.EventFilter:
        data = self.validated_data
        since = data.get("created__gte")
        if "days" in data:
            recent = queries.days_ago(data["days"])
            since = max(since, recent) if since else recent
        return queries.EventFilter(
            actions=tuple(dict.fromkeys(data.get("action", ()) + data.get("subject", ()))),
            actor_names=tuple(dict.fromkeys(n.strip().lower() for n in (data.get("actor"), data.get("user")) if n)),
            since=since,
            until=data.get("created__lte"),
            keyword=(data.get("keyword") or data.get("summary") or "").strip(),
            outcome=data.get("outcome", ""),
            ip=data.get("ip", ""),
        )

    @classmethod
    def from_query(cls, query_params) -> EventFilterSerializer:
        data = {key: query_params.get(key) for key in query_params}
        for key in ("action", "subject"):  # ?action=a&action=b works as well as ?action=a,b
            if key in query_params:
                data[key] = ",".join(query_params.getlist(key))
        return cls(data=data)


class EventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    subject = serializers.CharField(source="action", read_only=True, help_text="ArkID v1 name for `action`.")
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "uuid",
            "created",
            "action",
            "action_label",
            "subject",
            "summary",
            "outcome",
            "actor_name",
            "target_type",
            "target_id",
            "target_name",
            "ip",
        ]
        read_only_fields = fields

    def get_summary(self, event: Event) -> str:
        label = str(event.get_action_display())
        return f"{label}: {event.target_name}" if event.target_name else label


class EventDetailSerializer(EventSerializer):
    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "changes", "detail", "user_agent", "request_id"]
        read_only_fields = fields


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class AuditMetaSerializer(serializers.Serializer):
    actions = ChoiceSerializer(many=True)
    outcomes = ChoiceSerializer(many=True)


@extend_schema(tags=["audit"], parameters=[EventFilterSerializer], summary="List audit events, newest first")
class EventListView(generics.ListAPIView):
    permission_classes = LOG_READERS

    serializer_class = EventSerializer
    pagination_class = AuditLogPagination
    event_filter: queries.EventFilter | None = None  # read by the paginator: unfiltered lists may estimate

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return Event.objects.none()
        filters = EventFilterSerializer.from_query(self.request.query_params)
        filters.is_valid(raise_exception=True)
        self.event_filter = filters.to_filter()
        return queries.list_events(self.request.user, self.event_filter)


@extend_schema(tags=["audit"], summary="One audit event with its changes and request facts")
class EventDetailView(generics.RetrieveAPIView):
    permission_classes = LOG_READERS

    serializer_class = EventDetailSerializer
    lookup_field = "uuid"

    def get_queryset(self):
        return Event.objects.none()  # only for schema generation; get_object below does the read

    def get_object(self) -> Event:
        try:
            return queries.get_event(self.request.user, self.kwargs["uuid"])
        except Event.DoesNotExist:
            raise NotFound() from None


@extend_schema(tags=["audit"], responses=AuditMetaSerializer, summary="Audit actions and outcomes with labels")
class AuditMetaView(APIView):
    permission_classes = LOG_READERS

    def get(self, request):
        def choices(enum) -> list[dict]:
            return [{"value": value, "label": str(label)} for value, label in enum.choices]

        return Response(AuditMetaSerializer({"actions": choices(Action), "outcomes": choices(Outcome)}).data)
