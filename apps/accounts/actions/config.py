"""Saving the account configuration (``PATCH config/``): all sections or none, audited.

Validation happens in the serializers (field errors, never a silent drop, unlike v1 issue
#397); this module writes the rows in one transaction, records one audit event with the
changed fields (secrets only as ``"***"``), and drops the cached copies after commit.
"""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict

from apps.accounts import config
from apps.audit.actions import diff, record_event
from apps.audit.models import Action

SECRET_FIELDS = frozenset({"access_secret"})
SECRET_MARK = "***"  # noqa: S105 - a placeholder shown instead of a secret


def _snapshot(instance) -> dict:
    data = model_to_dict(instance, exclude=["id", "updated"])
    for name in SECRET_FIELDS & data.keys():
        data[name] = SECRET_MARK if data[name] else ""
    return data


@transaction.atomic
def update_account_settings(sections: dict[str, dict], *, actor) -> dict:
    """Apply ``{"account": {...}, "password": {...}, "sms": {...}, "email": {...}}``
    (validated values) and return the changes, ``{"section.field": [old, new]}``."""
    changes = {}
    for name, values in sections.items():
        if not values:
            continue
        instance = config.MODELS[name].objects.select_for_update().filter(pk=1).first() or config.MODELS[name]()
        before = _snapshot(instance)
        for field, value in values.items():
            setattr(instance, field, value)
        instance.save()
        section_changes = diff(before, _snapshot(instance))
        if name in ("sms", "email") and "access_secret" in values and "access_secret" not in section_changes:
            section_changes["access_secret"] = [SECRET_MARK, SECRET_MARK]  # replaced by another secret
        changes.update({f"{name}.{field}": change for field, change in section_changes.items()})
        transaction.on_commit(lambda name=name: config.forget(name))
    if changes:
        record_event(
            Action.ACCOUNT_CONFIG_UPDATED, actor=actor, target_type="config", target_name="accounts", changes=changes
        )
    return changes
