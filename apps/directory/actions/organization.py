"""Changing the organisation's name, logo and colour (the login page's branding), audited."""

from __future__ import annotations

from django.db import transaction

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.directory.models import Organization

EDITABLE = ("name", "fullname", "name_en", "fullname_en", "icon", "color", "address", "domain")


@transaction.atomic
def update_organization(values: dict, *, actor) -> dict:
    """Apply validated ``values`` (a subset of :data:`EDITABLE`) and return the changes."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not organisation fields: {sorted(unknown)}")
    Organization.objects.get_or_create(pk=1)
    org = Organization.objects.select_for_update().get(pk=1)
    before = {field: getattr(org, field) for field in EDITABLE}
    for field, value in values.items():
        setattr(org, field, value)
    org.full_clean()
    org.save()
    changes = diff(before, {field: getattr(org, field) for field in EDITABLE})
    if changes:
        record_event(Action.ORGANIZATION_UPDATED, actor=actor, target=org, changes=changes)
    return changes
