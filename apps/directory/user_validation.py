"""Cleaning and uniqueness of user fields, shared by the user actions and the CSV import.

Every error is collected per field and raised as one ``ValidationError({field: [message]})``
so a form or an import row shows all its problems at once, not the first one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from apps.directory.models import Gender, User
from apps.directory.normalize import normalize_date, normalize_email, normalize_mobile

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,149}$")

# Fields an administrator may set; `username` only when creating.
EDITABLE_FIELDS = (
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
    "is_active",
    "must_reset_password",
)
CREATE_FIELDS = ("username", *EDITABLE_FIELDS)
UNIQUE_FIELDS = ("username", "email", "private_email", "mobile")

_MAX_LENGTH = {"name": 255, "avatar": 512, "position": 255, "employee_number": 64, "remark": 10_000}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off", ""}

# The database constraint that guards each unique field (see User.Meta.constraints).
_CONSTRAINT_FIELDS = {
    "directory_user_username_uniq": "username",
    "directory_user_email_uniq": "email",
    "directory_user_private_email_uniq": "private_email",
    "directory_user_mobile_uniq": "mobile",
}


def taken_message(field: str) -> str:
    labels = {
        "username": _("A user with this username already exists."),
        "email": _("A user with this email already exists."),
        "private_email": _("A user with this private email already exists."),
        "mobile": _("A user with this mobile number already exists."),
    }
    return labels[field]


def _as_text(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("Must be a string."))
    return value.strip()


def clean_username(value) -> str:
    username = _as_text(value).lower()
    if not username:
        raise ValidationError(_("This field is required."))
    if not USERNAME_RE.match(username):
        raise ValidationError(
            _(
                "Use 1-150 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit "
                "(upper case is converted to lower case)."
            )
        )
    return username


def _clean_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError(_("Must be true or false."))


def _clean_gender(value) -> int:
    if value in (None, ""):
        return Gender.UNKNOWN
    if isinstance(value, bool):
        raise ValidationError(_("Must be 0 (unknown), 1 (male) or 2 (female)."))
    try:
        gender = int(value)
    except (TypeError, ValueError):
        gender = -1
    if gender not in Gender.values:
        raise ValidationError(_("Must be 0 (unknown), 1 (male) or 2 (female)."))
    return gender


def _clean_date(value) -> dt.date | None:
    return None if value in (None, "") else normalize_date(value)


def _clean_one(field: str, value):
    if field == "username":
        return clean_username(value)
    if field in ("email", "private_email"):
        text = _as_text(value)
        if len(text) > 254:
            raise ValidationError(_("At most 254 characters."))
        return normalize_email(text)
    if field == "mobile":
        return normalize_mobile(_as_text(value))
    if field == "gender":
        return _clean_gender(value)
    if field == "hire_date":
        return _clean_date(value)
    if field in ("is_active", "must_reset_password"):
        return _clean_bool(value)
    text = _as_text(value)
    if len(text) > _MAX_LENGTH[field]:
        raise ValidationError(_("At most %(n)d characters.") % {"n": _MAX_LENGTH[field]})
    return text


def clean_user_fields(fields: dict, *, allowed: Iterable[str]) -> dict:
    """Normalise ``fields``; raise one ValidationError listing every bad or unknown field."""
    allowed = set(allowed)
    cleaned, errors = {}, {}
    for field, value in fields.items():
        if field not in allowed:
            errors[field] = [_("This field cannot be set here.")]
            continue
        try:
            cleaned[field] = _clean_one(field, value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def with_unique_keys(queryset: QuerySet) -> QuerySet:
    """Alias the expressions the unique indexes are built on (``lower(username)``, ...).

    There is no plain index on ``email``: Django's ``__iexact`` (``UPPER(...)``) scans the
    whole table on PostgreSQL. Filter with :func:`unique_key_q` on a queryset passed through
    this instead. (Usernames, always stored lower-case, also have a plain index.)
    """
    return queryset.alias(
        username_key=Lower("username"), email_key=Lower("email"), private_email_key=Lower("private_email")
    )


def unique_key_q(field: str, values) -> Q:
    """Match one value or a list of values of a unique field through its index. The partial
    indexes (email, private email, mobile) only apply when the query repeats ``<> ''``."""
    many = isinstance(values, (list, tuple, set))
    if field == "mobile":
        match = Q(mobile__in=list(values)) if many else Q(mobile=values)
    else:
        key = f"{field}_key"
        match = Q(**{f"{key}__in": [str(v).lower() for v in values]}) if many else Q(**{key: str(values).lower()})
    return match if field == "username" else match & ~Q(**{field: ""})


def find_taken_fields(values: dict, *, exclude_pk: int | None = None) -> dict:
    """{field: [message]} for each unique value in ``values`` another user already holds (one query)."""
    query = Q()
    for field in UNIQUE_FIELDS:
        if values.get(field):
            query |= unique_key_q(field, values[field])
    if not query:
        return {}
    others = with_unique_keys(User.objects.all()).filter(query)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = {}
    for row in others.values(*UNIQUE_FIELDS)[:10]:
        for field in UNIQUE_FIELDS:
            mine = values.get(field)
            if mine and str(row[field]).lower() == str(mine).lower():
                taken[field] = [taken_message(field)]
    return taken


def integrity_error_fields(exc: IntegrityError, values: dict, *, exclude_pk: int | None = None) -> dict:
    """Map a unique-constraint violation to the field at fault.

    The constraint name is in the message on PostgreSQL and SQLite; if a driver hides it we
    look again (inside the caller's savepoint the other transaction's row is now visible).
    """
    message = str(exc)
    # Longest name first: "directory_user_email_uniq" is part of "..._private_email_uniq".
    for constraint, field in sorted(_CONSTRAINT_FIELDS.items(), key=lambda item: -len(item[0])):
        if constraint in message:
            return {field: [taken_message(field)]}
    return find_taken_fields(values, exclude_pk=exclude_pk) or {"username": [taken_message("username")]}
