"""Custom user fields: their definitions, and how a value of each type is checked and stored.

Values are stored as text in one canonical form per type (numbers without trailing zeros,
dates as ISO ``YYYY-MM-DD``, booleans as ``true``/``false``) so an equality filter is one
indexed lookup, and ISO dates compare correctly as text.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation, localcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.directory.models import CustomField, CustomFieldValue
from apps.directory.normalize import normalize_date

FieldType = CustomField.FieldType
MAX_VALUE_LENGTH = 1024
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def coerce_custom_value(field: CustomField, value) -> str | None:
    """The canonical stored text for ``value``; None means "no value" (the row is removed)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    coerce = {
        FieldType.NUMBER: _coerce_number,
        FieldType.DATE: _coerce_date,
        FieldType.BOOLEAN: _coerce_boolean,
    }.get(field.field_type, _coerce_string)
    return coerce(value)


def _coerce_string(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationError(_("Must be text."))
    text = str(value).strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise ValidationError(_("At most %(n)d characters.") % {"n": MAX_VALUE_LENGTH})
    return text


NUMBER_LIMIT = Decimal(10) ** 30
NUMBER_MAX_TEXT = 64  # longer text is no sensible number; cutting it keeps Decimal() cheap
NUMBER_PRECISION = 50
ORDER_LIMIT = 2**31 - 1  # the column is a 32-bit integer


def _coerce_number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationError(_("Must be a number."))
    try:
        number = Decimal(str(value).strip()[:NUMBER_MAX_TEXT])
        in_range = number.is_finite() and abs(number) < NUMBER_LIMIT
    except (InvalidOperation, ArithmeticError):
        raise ValidationError(_("Must be a number.")) from None
    if not in_range:
        raise ValidationError(_("Must be a number smaller than 10^30 in magnitude."))
    # At most 10 decimals: list filters compare numbers as numeric(40, 10).
    # 30 integer digits + 10 decimals need more than Decimal's default 28-digit precision.
    with localcontext(prec=NUMBER_PRECISION):
        text = format(number.quantize(Decimal(1).scaleb(-10)).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _coerce_date(value) -> str:
    return normalize_date(value).isoformat()


def _coerce_boolean(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    raise ValidationError(_("Must be true or false."))


def render_custom_value(field: CustomField, stored: str):
    """The stored text as the JSON value clients get (numbers and booleans typed)."""
    if field.field_type == FieldType.NUMBER:
        number = Decimal(stored)
        return int(number) if number == number.to_integral_value() else float(number)
    if field.field_type == FieldType.BOOLEAN:
        return stored == "true"
    return stored


def find_custom_field(key, *, subject: str = CustomField.Subject.USER) -> CustomField | None:
    """A field by its uuid (hex or dashed) or, failing that, by its name."""
    fields = CustomField.objects.filter(subject=subject)
    try:
        return fields.filter(uuid=uuid.UUID(str(key))).first()
    except ValueError:
        return fields.filter(name=str(key)).first()


def _clean_definition(fields: dict, *, creating: bool) -> dict:
    cleaned, errors = {}, {}
    for key, value in fields.items():
        if key == "name":
            name = value.strip() if isinstance(value, str) else ""
            if not name or len(name) > 128:
                errors["name"] = [_("Enter a name of 1-128 characters.")]
            cleaned["name"] = name
        elif key == "field_type":
            if value not in FieldType.values:
                errors["field_type"] = [_("Must be one of: %(types)s.") % {"types": ", ".join(FieldType.values)}]
            cleaned["field_type"] = value
        elif key in ("is_visible",):
            if not isinstance(value, bool):
                errors[key] = [_("Must be true or false.")]
            cleaned[key] = value
        elif key == "order":
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) > ORDER_LIMIT:
                errors[key] = [_("Must be an integer between -2147483647 and 2147483647.")]
            cleaned[key] = value
        else:
            errors[key] = [_("This field cannot be set here.")]
    if creating and "name" not in fields:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _name_taken() -> ValidationError:
    return ValidationError({"name": [_("A custom field with this name already exists.")]})


def _snapshot(field: CustomField) -> dict:
    return {"name": field.name, "field_type": field.field_type, "is_visible": field.is_visible, "order": field.order}


@transaction.atomic
def create_custom_field(*, actor, subject: str = CustomField.Subject.USER, **fields) -> CustomField:
    cleaned = _clean_definition(fields, creating=True)
    if CustomField.objects.filter(subject=subject, name=cleaned["name"]).exists():
        raise _name_taken()
    if "order" not in cleaned:
        current = CustomField.objects.filter(subject=subject).aggregate(m=Max("order"))["m"]
        cleaned["order"] = (current if current is not None else -1) + 1
    try:
        with transaction.atomic():
            field = CustomField.objects.create(subject=subject, **cleaned)
    except IntegrityError:
        raise _name_taken() from None
    record_event(Action.CUSTOM_FIELD_CREATED, actor=actor, target=field, changes=diff({}, _snapshot(field)))
    return field


@transaction.atomic
def update_custom_field(field: CustomField, fields: dict, *, actor) -> CustomField:
    cleaned = _clean_definition(fields, creating=False)
    before = _snapshot(field)
    if cleaned.get("name", field.name) != field.name and (
        CustomField.objects.filter(subject=field.subject, name=cleaned["name"]).exclude(pk=field.pk).exists()
    ):
        raise _name_taken()
    if cleaned.get("field_type", field.field_type) != field.field_type:
        _convert_values(field, cleaned["field_type"])
    for key, value in cleaned.items():
        setattr(field, key, value)
    changes = diff(before, _snapshot(field))
    if not changes:
        return field
    try:
        with transaction.atomic():
            field.save(update_fields=[*cleaned, "updated"])
    except IntegrityError:
        raise _name_taken() from None
    record_event(Action.CUSTOM_FIELD_UPDATED, actor=actor, target=field, changes=changes)
    return field


def _convert_values(field: CustomField, new_type: str) -> None:
    """Re-store existing values in the new type's form; refuse if any does not convert,
    so a number field never holds text (range filters cast number values)."""
    probe = CustomField(field_type=new_type)
    rows = list(CustomFieldValue.objects.filter(field=field))
    bad = 0
    for row in rows:
        try:
            row.value = coerce_custom_value(probe, row.value)
        except ValidationError:
            bad += 1
    if bad:
        raise ValidationError(
            {"field_type": [_("%(n)d existing value(s) cannot be converted to this type.") % {"n": bad}]}
        )
    CustomFieldValue.objects.bulk_update(rows, ["value"], batch_size=1000)


@transaction.atomic
def delete_custom_field(field: CustomField, *, actor) -> None:
    snapshot = _snapshot(field)
    values = CustomFieldValue.objects.filter(field=field).count()
    record_event(
        Action.CUSTOM_FIELD_DELETED,
        actor=actor,
        target=field,
        changes=diff(snapshot, {}),
        detail={"uuid": field.uuid.hex, "values_deleted": values},
    )
    field.delete()
