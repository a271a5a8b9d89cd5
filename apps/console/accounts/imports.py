"""CSV import jobs: the directory's all-or-nothing import (``apps.directory.csv_io``), run in
a Celery worker for large files, with its progress and per-row error report on a job record.

Phases: ``checking`` validates every row (formats, duplicates in the file, values other users
hold) and, on any bad row, stores the report and stops; ``writing`` runs the directory's
import, which checks the rows again inside its transaction (another request may have taken a
value meanwhile) and writes all or nothing. Each phase change is committed on its own so the
polling page sees it while the worker is still busy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.console.models import ImportJob
from apps.directory import csv_io
from apps.directory.models import User
from apps.directory.queries import users as user_queries

logger = logging.getLogger(__name__)

# Files up to this size (about a thousand rows) are imported within the upload request;
# larger ones go to a worker and the page polls the job.
INLINE_MAX_BYTES = 64 * 1024
# A job that has not moved for this long lost its worker (killed, or the task never reached a
# broker). The import writes in one transaction, so such a job wrote nothing: it is marked
# failed and the admin uploads again. Every phase change touches ``updated``; the slowest
# phase (writing 100k rows) takes a few minutes.
STALE_AFTER = dt.timedelta(minutes=30)


def start_import(actor, upload) -> ImportJob:
    """Create the job for ``upload`` (admins only: an import may create or change anyone) and
    run it now when small, else queue it for a worker after the commit."""
    user_queries.require_access_to_all_users(actor)
    raw = upload.read()
    job = ImportJob.objects.create(actor=actor, file_name=(upload.name or "")[:255], payload=raw)
    if len(raw) <= INLINE_MAX_BYTES:
        run_job(job.pk)
        job.refresh_from_db()
    else:
        from apps.console.tasks import run_user_import  # the task module imports this one

        transaction.on_commit(lambda: run_user_import.delay(job.pk))
    return job


def get_job(actor, job_uuid) -> ImportJob:
    """A job of ``actor`` (nobody sees another administrator's upload or its report)."""
    job = ImportJob.objects.filter(uuid=job_uuid, actor=actor).first() if actor.is_authenticated else None
    if job is None:
        raise Http404
    _fail_if_stale(job)
    return job


def _fail_if_stale(job: ImportJob) -> None:
    if job.is_finished or job.updated > timezone.now() - STALE_AFTER:
        return
    message = _(
        "The import stopped before it finished (its worker was lost); nothing was imported. Upload the file again."
    )
    # Only if the worker has not moved it meanwhile (one conditional UPDATE).
    if ImportJob.objects.filter(pk=job.pk, state=job.state, updated=job.updated).update(
        state=ImportJob.State.FAILED, message=message, payload=b"", finished=timezone.now(), updated=timezone.now()
    ):
        job.refresh_from_db()


def _advance(job: ImportJob, state: str, **fields) -> None:
    job.state = state
    for name, value in fields.items():
        setattr(job, name, value)
    if state in ImportJob.FINISHED:
        job.finished = timezone.now()
        job.payload = b""  # the file may hold personal data: keep it no longer than needed
    job.save()


def run_job(job_id: int) -> None:
    """Run one queued job to its end. Never raises: the job records what went wrong (a
    worker retry could not help, and the upload page must not answer 500)."""
    # Claim it with one UPDATE: a duplicate delivery of the task finds nothing left to run.
    if not ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(state=ImportJob.State.CHECKING):
        return
    job = ImportJob.objects.select_related("actor").get(pk=job_id)
    actor: User | None = job.actor
    try:
        if actor is None or not user_queries.is_admin(actor):
            raise ValidationError(_("Only administrators may import accounts."))
        raw = bytes(job.payload)
        rows = csv_io.validate(csv_io.decode(raw))
        _advance(job, ImportJob.State.WRITING, row_count=len(rows))
        summary = csv_io.import_users(raw, actor=actor, file_name=job.file_name)
    except csv_io.ImportRejected as exc:
        report = exc.rows[: csv_io.MAX_REPORTED_ROWS]
        _advance(job, ImportJob.State.REJECTED, errors=report, error_count=len(exc.rows))
    except ValidationError as exc:
        _advance(job, ImportJob.State.REJECTED, message=" ".join(exc.messages))
    except Exception:
        logger.exception("CSV import job %s failed", job.pk)
        _advance(job, ImportJob.State.FAILED, message=_("An unexpected error stopped the import."))
    else:
        _advance(job, ImportJob.State.DONE, summary=summary)


def error_lines(job: ImportJob):
    """The report as CSV: one line per (row, field, message), formula-escaped like the export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(csv_io.BOM)
    writer.writerow(["row", "username", "field", "message"])
    for row in job.errors:
        for field, messages in sorted(row.get("errors", {}).items()):
            for message in messages:
                writer.writerow([csv_io.escape_cell(v) for v in (row.get("row"), row.get("username"), field, message)])
    return buffer.getvalue()


def progress_step(job: ImportJob) -> int:
    """The phase as a step out of 3 (queued 0, checking 1, writing 2, finished 3)."""
    order = [ImportJob.State.QUEUED, ImportJob.State.CHECKING, ImportJob.State.WRITING]
    return 3 if job.is_finished else order.index(job.state)
