"""Saving the account configuration (``PATCH config/``): all sections or none, audited.

Validation happens in the serializers (field errors, never a silent drop, unlike v1 issue
#397); this module writes the rows in one transaction, records one audit event with the
changed fields (secrets only as ``"***"``), and drops the cached copies after commit.
"""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from apps.accounts import config
from apps.accounts.masking import mask_email, mask_mobile
from apps.accounts.senders import Message, SendFailed, deliver
from apps.audit.actions import diff, record_event
from apps.audit.models import Action, Outcome
from apps.directory.normalize import normalize_email, normalize_mobile

logger = logging.getLogger("arkid.accounts.config")

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


TEST_PURPOSE = "test"


def send_test_message(channel: str, address: str, *, actor) -> str:
    """Send a test message through the configured ``channel`` sender (``sms`` or ``email``),
    exactly as a verification code would go, and return the normalised address.

    A bad address is a ValidationError on ``address``; a delivery failure re-raises
    :class:`SendFailed`, whose text (the relay's or Aliyun's answer) is what an administrator
    needs to fix the settings. Both outcomes are audited with the address masked.
    """
    if channel not in ("sms", "email"):
        raise ValueError(f"unknown channel {channel!r}")
    try:
        address = normalize_mobile(address) if channel == "sms" else normalize_email(address)
    except ValidationError as exc:
        raise ValidationError({"address": exc.messages}) from None
    if not address:
        raise ValidationError({"address": [_("This field is required.")]})
    code = f"{secrets.randbelow(10**6):06d}"  # the SMS template needs a ${code}; nothing verifies it
    message = Message(
        channel=channel,
        address=address,
        code=code,
        purpose=TEST_PURPOSE,
        subject=_("ArkID test message"),
        body=_("This is a test message from ArkID's settings (code %(code)s). The sender works.") % {"code": code},
    )
    masked = mask_mobile(address) if channel == "sms" else mask_email(address)
    try:
        deliver(message)
    except SendFailed as exc:
        logger.warning("test %s to %s failed: %s", channel, masked, exc)
        record_event(
            Action.SENDER_TESTED,
            actor=actor,
            target_type="config",
            target_name=channel,
            outcome=Outcome.FAILURE,
            detail={"channel": channel, "address": masked, "error": str(exc)[:500]},
        )
        raise
    record_event(
        Action.SENDER_TESTED,
        actor=actor,
        target_type="config",
        target_name=channel,
        detail={"channel": channel, "address": masked},
    )
    return address
