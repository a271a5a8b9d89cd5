"""Rendering and parsing shared by the perm/ views (v1 shapes)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core.pagination import PageNumberPagination
from apps.permissions.actions.statuses import clean_status
from apps.permissions.engine import allows_any_user
from apps.permissions.models import Permission


class PermSchema(serializers.Serializer):
    """Documents :func:`perm_ref`'s shape for the schema (the views render dicts)."""

    uid = serializers.CharField()
    name = serializers.CharField()
    remark = serializers.CharField()
    subject = serializers.CharField()
    scope = serializers.CharField()
    action = serializers.CharField()
    kind = serializers.CharField()
    editable = serializers.BooleanField()
    default_value = serializers.BooleanField()


def perm_ref(perm: Permission) -> dict:
    """v1's perm fields: uid = <subject>_<scope>_<action>; ``editable`` only for custom perms."""
    return {
        "uid": perm.uid,
        "name": perm.name,
        "remark": perm.remark,
        "subject": perm.subject,
        "scope": perm.scope,
        "action": perm.action,
        "kind": perm.kind,
        "editable": perm.kind == Permission.Kind.CUSTOM,
        "default_value": allows_any_user(perm),
    }


def paginate(request, view, queryset, render):
    """A v1 page ``{count, next, previous, results}``; ``render`` takes the page's objects."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(render(list(page)))


def body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": [_("Expected a JSON object.")]})
    return request.data


def status_entries(data: dict, key: str, *, required: bool = False) -> list[tuple[str, int]]:
    """``[{uid, status}]`` -> [(uid, status)], with field errors for anything malformed."""
    raw = data.get(key)
    if raw is None:
        if required:
            raise ValidationError({key: [_("This field is required.")]})
        return []
    if not isinstance(raw, list):
        raise ValidationError({key: [_("Expected a list of {uid, status}.")]})
    entries = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("uid"), str) or "status" not in item:
            raise ValidationError({key: [_("Each item needs a uid and a status.")]})
        entries.append((item["uid"], clean_status(item["status"], field=key)))
    return entries


def status_param(value) -> int | None:
    if value in (None, ""):
        return None
    return clean_status(value, field="status")


def missing_error(key: str, missing: list[str]) -> ValidationError:
    return ValidationError({key: [_("Not found: %(uids)s.") % {"uids": ", ".join(missing)}]})
