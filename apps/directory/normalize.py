"""Normalisation of identifiers before they are stored or looked up.

Emails are lower-cased; mobiles become E.164 (``+8618812345678``) with the `phonenumbers`
library, so ``188 1234 5678``, ``+86 18812345678`` and ``008618812345678`` are one number —
ArkID v1 treated ``188…`` and ``+86 188…`` as the same, and so do we.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from apps.core.exceptions import DomainError


def normalize_email(value: str) -> str:
    value = (value or "").strip().lower()
    if value:
        validate_email(value)
    return value


def normalize_mobile_or_none(value: str) -> str | None:
    value = (value or "").strip()
    if not value or not any(ch.isdigit() for ch in value):
        return None
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_mobile(value: str) -> str:
    if not (value or "").strip():
        return ""
    normalised = normalize_mobile_or_none(value)
    if normalised is None:
        raise ValidationError(
            _("Enter a valid mobile number, with the country code if not %(region)s.")
            % {"region": settings.DEFAULT_PHONE_REGION}
        )
    return normalised


def normalize_date(value) -> dt.date:
    """A date from a date, a datetime or ``YYYY-MM-DD`` text; ValidationError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:  # well-formed but impossible, e.g. 2026-02-30
            parsed = None
    if parsed is None:
        raise ValidationError(_("Enter a date as YYYY-MM-DD."))
    return parsed


def clean_name(name: str, *, max_length: int) -> str:
    """A required display name, stripped; DomainError on the ``name`` field otherwise."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    if len(name) > max_length:
        raise DomainError(_("At most %(n)d characters.") % {"n": max_length}, field="name")
    return name
