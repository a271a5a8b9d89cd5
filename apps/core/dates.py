"""Parsing of date/time filter values shared by every list endpoint."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _


def parse_moment(text: str, *, end_of_day: bool = False) -> dt.datetime:
    """An aware datetime from ISO 8601 text, or from a date meaning the start of that day (or
    its end with ``end_of_day``, for inclusive upper bounds). ValueError with a message the
    caller can show otherwise, including for moments the database cannot store in UTC."""
    text = str(text).strip()
    try:
        # Date first: Python's fromisoformat would read a bare date as a datetime at midnight.
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        moment = day = None
    if moment is None and day is None:
        raise ValueError(_("Enter an ISO 8601 date or datetime, e.g. 2024-05-01T08:00Z."))
    if moment is None:
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(dt.UTC)  # the database compares in UTC: 0001-01-01 in +08:00 is out of range
    except (OverflowError, ValueError):
        raise ValueError(_("Date out of range.")) from None
    return moment
