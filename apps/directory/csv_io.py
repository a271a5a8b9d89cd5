"""CSV export and import of users in ArkID v1's columns.

Export streams UTF-8 with a BOM (so Excel shows Chinese correctly) and neutralises spreadsheet
formulas: a cell starting with ``= + - @`` (or a tab or carriage return) gets a leading ``'``.
Import undoes exactly that escaping, so an exported file re-imports unchanged.

Import is validate-everything-then-write: every row is checked (formats, duplicates inside
the file, values another user already holds) before anything is written; one bad row rejects
the file. The writes then go through the user actions' batched writers in one transaction, so
each created or changed user has its own audit event, plus one summary event for the import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.directory.actions import memberships
from apps.directory.actions import users as user_actions
from apps.directory.models import Group, Origin, User
from apps.directory.user_validation import CREATE_FIELDS, clean_user_fields, unique_key_q, with_unique_keys

EXPORT_COLUMNS = (
    "username",
    "name",
    "email",
    "private_email",
    "mobile",
    "gender",
    "avatar",
    "position",
    "employee_number",
)
# v1 ignored the avatar column on import (it is a file key, not something to type in a sheet).
IMPORT_COLUMNS = ("username", "name", "email", "private_email", "mobile", "gender", "position", "employee_number")
UNIQUE_COLUMNS = ("email", "private_email", "mobile")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_REPORTED_ROWS = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
_GENDER_WORDS = {"男": 1, "女": 2, "未知": 0, "male": 1, "female": 2, "unknown": 0, "m": 1, "f": 2}
_CHUNK = 1000


def escape_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def export_lines(users) -> Iterator[str]:
    """The file, 500 rows per chunk, for a StreamingHttpResponse; rows in the queryset's order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(EXPORT_COLUMNS)
    rows = users.values_list(*EXPORT_COLUMNS).iterator(chunk_size=2000)
    for count, row in enumerate(rows, start=1):
        writer.writerow([escape_cell(value) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class ImportRejected(Exception):
    """The file has bad rows; ``rows`` is ``[{row, username, errors: {field: [message]}}]``."""

    def __init__(self, rows: list[dict]):
        super().__init__(f"{len(rows)} bad row(s)")
        self.rows = rows


def decode(raw: bytes) -> str:
    """UTF-8 with or without a BOM; otherwise GB18030, the superset of the GBK that Chinese
    Excel writes."""
    if raw.startswith(BOM.encode()):
        raw = raw[len(BOM.encode()) :]
    if b"\x00" in raw:  # binary, or UTF-16 from "Unicode text" exports: never a usable sheet
        raise ValidationError({"users": [_("The file must be UTF-8 or GBK encoded text.")]})
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationError({"users": [_("The file must be UTF-8 or GBK encoded text.")]}) from None


@dataclass
class PlannedRow:
    row: int
    username: str
    fields: dict  # cleaned, without username
    user: User | None = None  # the existing user to update
    errors: dict = field(default_factory=dict)


def parse(text: str) -> tuple[list[str], list[PlannedRow]]:
    """Rows as {column: text} for the known columns present; unknown columns are ignored."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if "username" not in header:
            raise ValidationError({"users": [_("The file needs a header row with a username column.")]})
        columns = [(i, name) for i, name in enumerate(header) if name in IMPORT_COLUMNS]
        rows = []
        for number, cells in enumerate(reader, start=2):  # row 1 is the header, as in a spreadsheet
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError({"users": [_("At most %(n)d rows per file.") % {"n": MAX_ROWS}]})
            values = {name: unescape_cell(cells[i].strip()) if i < len(cells) else "" for i, name in columns}
            rows.append(PlannedRow(row=number, username=values.pop("username", ""), fields=values))
    except csv.Error as exc:
        raise ValidationError({"users": [_("The file is not valid CSV: %(error)s") % {"error": exc}]}) from None
    return [name for _index, name in columns], rows


def _clean_row(planned: PlannedRow) -> None:
    raw = dict(planned.fields, username=planned.username)
    gender = str(raw.get("gender", "")).strip().lower()
    if gender in _GENDER_WORDS:
        raw["gender"] = _GENDER_WORDS[gender]
    try:
        cleaned = clean_user_fields(raw, allowed=CREATE_FIELDS)
    except ValidationError as exc:
        planned.errors.update(exc.message_dict)
        cleaned = {}
    planned.username = cleaned.pop("username", planned.username.strip().lower())
    planned.fields = cleaned


def _chunks(values: list) -> Iterator[list]:
    size = _CHUNK  # read at call time, so tests can make chunks small
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _check_duplicates(rows: list[PlannedRow]) -> None:
    seen: dict[str, dict[str, int]] = {name: {} for name in ("username", *UNIQUE_COLUMNS)}
    for planned in rows:
        values = {"username": planned.username, **planned.fields}
        for name, first_seen in seen.items():
            value = str(values.get(name) or "").lower()
            if not value:
                continue
            if value in first_seen:
                planned.errors.setdefault(name, []).append(_("Same as row %(row)d.") % {"row": first_seen[value]})
            else:
                first_seen[value] = planned.row


def _check_existing(rows: list[PlannedRow]) -> None:
    """Attach existing users, and flag values that belong to a different existing user."""
    usernames = [p.username for p in rows if p.username]
    existing = {}
    for chunk in _chunks(usernames):
        users = with_unique_keys(User.objects.all()).filter(unique_key_q("username", chunk))
        existing.update({u.username: u for u in users})
    for planned in rows:
        planned.user = existing.get(planned.username)
    for name in UNIQUE_COLUMNS:
        wanted = [str(p.fields[name]).lower() for p in rows if p.fields.get(name)]
        owners = {}
        for chunk in _chunks(wanted):
            found = with_unique_keys(User.objects.all()).filter(unique_key_q(name, chunk))
            owners.update({str(getattr(u, name)).lower(): u.username for u in found.only("username", name)})
        for planned in rows:
            value = str(planned.fields.get(name) or "").lower()
            owner = owners.get(value)
            if owner and owner != planned.username:
                planned.errors.setdefault(name, []).append(
                    _("Already used by user %(username)s.") % {"username": owner}
                )


def _reject(rows: Iterable[PlannedRow]) -> None:
    bad = [{"row": p.row, "username": p.username, "errors": p.errors} for p in rows if p.errors]
    if bad:
        raise ImportRejected(bad)


def validate(text: str) -> list[PlannedRow]:
    rows = parse(text)[1]
    if not rows:
        raise ValidationError({"users": [_("The file has no user rows.")]})
    for planned in rows:
        _clean_row(planned)
    _check_duplicates(rows)
    _check_existing(rows)
    _reject(rows)
    return rows


def import_users(raw: bytes, *, actor, group: Group | None = None, file_name: str = "") -> dict:
    """Create or update users by username (and add them all to ``group``), all or nothing."""
    rows = validate(decode(raw))
    try:
        return _write(rows, actor=actor, group=group, file_name=file_name)
    except IntegrityError:  # another request took a checked value meanwhile; all rolled back
        raise ValidationError(
            {"users": [_("Other changes to the same users happened during the import; nothing was imported.")]}
        ) from None


@transaction.atomic
def _write(rows: list[PlannedRow], *, actor, group: Group | None, file_name: str) -> dict:
    # Batched writes (a few statements per thousand rows): 100k rows fit in an HTTP request.
    new = [dict(p.fields, username=p.username) for p in rows if p.user is None]
    existing = [(p.user, p.fields) for p in rows if p.user is not None]
    created = user_actions.create_prechecked_users(new, actor=actor, origin=Origin.IMPORT)
    updated = user_actions.update_prechecked_users(existing, actor=actor)
    if group is not None:
        users = created + [user for user, _fields in existing]
        # In chunks: one IN (...) list per chunk stays under SQLite's parameter limit, and each
        # membership.added event names at most _CHUNK users.
        for chunk in _chunks(users):
            memberships.add_members(group, chunk, actor=actor)
    summary = {"created": len(created), "updated": len(updated), "unchanged": len(existing) - len(updated)}
    record_event(
        Action.USERS_IMPORTED,
        actor=actor,
        detail={**summary, "rows": len(rows), "node_uid": group.node_uid if group else "", "file_name": file_name},
    )
    return summary
