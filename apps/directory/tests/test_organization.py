"""``update_organization``: the login page's branding, validated and audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import Action, Event
from apps.directory.actions.organization import update_organization
from apps.directory.models import Organization

pytestmark = pytest.mark.django_db


def test_changes_are_saved_and_audited(admin_user):
    changes = update_organization({"name": "Acme", "color": "aa3300"}, actor=admin_user)
    assert changes == {"color": ["006064", "aa3300"], "name": ["ArkID", "Acme"]}
    assert Organization.objects.get(pk=1).name == "Acme"
    event = Event.objects.get(action=Action.ORGANIZATION_UPDATED)
    assert event.actor == admin_user and event.changes == changes


def test_no_change_records_nothing(admin_user):
    assert update_organization({"name": "ArkID"}, actor=admin_user) == {}
    assert not Event.objects.filter(action=Action.ORGANIZATION_UPDATED).exists()


def test_invalid_values_and_unknown_fields_are_refused(admin_user):
    with pytest.raises(ValidationError):
        update_organization({"name": "x" * 300}, actor=admin_user)
    with pytest.raises(ValueError, match="not organisation fields"):
        update_organization({"id": 2}, actor=admin_user)
    assert not Event.objects.filter(action=Action.ORGANIZATION_UPDATED).exists()
