"""The user representation (ArkID v1's field names) and the parsing of v1's request bodies.

Output needs the prefetches of ``queries.users.for_display``; input is only reshaped here
and validated by the actions, so the rules live in one place.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.directory.actions.custom_fields import render_custom_value
from apps.directory.models import CustomField, Group, User
from apps.directory.queries.users import for_display
from apps.directory.user_validation import CREATE_FIELDS

# Request name -> model field, for names that differ from the model.
_RENAMED_INPUT = {"require_reset_password": "must_reset_password", "hiredate": "hire_date"}
# What v1 clients send: the model's field names, plus v1's spellings of two of them.
ADMIN_INPUT_FIELDS = (*(f for f in CREATE_FIELDS if f != "must_reset_password"), *_RENAMED_INPUT)
# Not email: it is a login identifier and apps trust it, so changing it needs verification
# (accounts issue). Not remark: an administrator's note about the user.
PROFILE_INPUT_FIELDS = ("name", "gender", "avatar", "position")


def render_user(user: User, **context) -> dict:
    """Re-read with the display prefetches: the instance an action returns has stale caches."""
    fresh = for_display(User.objects.filter(pk=user.pk)).get()
    return UserSerializer(fresh, context=context).data


def node_ref(group: Group) -> dict:
    return {"node_uid": group.node_uid, "uid": group.uid, "name": group.name, "type": group.type.key}


class UserSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="pk", read_only=True)
    origin_verbose = serializers.CharField(source="get_origin_display", read_only=True)
    is_settled = serializers.BooleanField(read_only=True)
    require_reset_password = serializers.BooleanField(source="must_reset_password", read_only=True)
    has_password = serializers.SerializerMethodField()
    nodes = serializers.SerializerMethodField()
    custom_user = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "user_id",
            "uuid",
            "username",
            "name",
            "email",
            "private_email",
            "mobile",
            "gender",
            "avatar",
            "position",
            "employee_number",
            "remark",
            "hire_date",
            "origin",
            "origin_verbose",
            "is_active",
            "is_admin",
            "is_settled",
            "require_reset_password",
            "has_password",
            "last_active_time",
            "created",
            "nodes",
            "custom_user",
        )
        read_only_fields = fields

    def get_has_password(self, user: User) -> bool:
        return user.has_usable_password()

    def get_nodes(self, user: User) -> list[dict]:
        return [node_ref(m.group) for m in user.memberships.all()]

    def get_custom_user(self, user: User) -> dict:
        """``{data: {field uuid hex: value}, pretty: [{uuid, name, value}]}`` like v1; the
        profile (``visible_only`` in the context) shows only fields employees may see."""
        visible_only = self.context.get("visible_only", False)
        rows = [row for row in user.custom_values.all() if row.field.is_visible or not visible_only]
        rows.sort(key=lambda row: (row.field.order, row.field.pk))
        pretty = [
            {"uuid": row.field.uuid.hex, "name": row.field.name, "value": render_custom_value(row.field, row.value)}
            for row in rows
        ]
        return {"data": {item["uuid"]: item["value"] for item in pretty}, "pretty": pretty}


class CustomFieldSerializer(serializers.ModelSerializer):
    uuid = serializers.SerializerMethodField()
    schema = serializers.SerializerMethodField()

    class Meta:
        model = CustomField
        fields = ("uuid", "name", "subject", "field_type", "schema", "is_visible", "order")
        read_only_fields = fields

    def get_uuid(self, field: CustomField) -> str:
        return field.uuid.hex

    def get_schema(self, field: CustomField) -> dict:
        return {"type": field.field_type}  # v1 kept the type in a JSON schema


def _require_object(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise ValidationError({field: [_("Must be an object.")]})
    return value


def user_body(data) -> dict:
    """v1 nests the user under ``user``; a flat body (fields at top level) works too."""
    data = _require_object(data, "non_field_errors")
    return _require_object(data["user"], "user") if "user" in data else data


def pick_fields(body: dict, allowed: tuple[str, ...]) -> dict:
    """The known writable fields, renamed to the model's names. Unknown and read-only keys
    (``user_id``, ``nodes``, ...) are ignored, as v1 clients send whole objects back."""
    return {_RENAMED_INPUT.get(key, key): value for key, value in body.items() if key in allowed}


def custom_values_from(body: dict, data: dict) -> dict | None:
    """``custom_user: {data: {...}}`` (v1) or ``custom_user: {...}``, in the user or the top level."""
    custom = body.get("custom_user", data.get("custom_user") if isinstance(data, dict) else None)
    if custom is None:
        return None
    custom = _require_object(custom, "custom_user")
    return _require_object(custom["data"], "custom_user") if "data" in custom else custom


def uid_list(data: dict, key: str) -> list[str] | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = [item for item in value.split(",") if item.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError({key: [_("Must be a list of uids.")]})
    return value
