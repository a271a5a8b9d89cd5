"""Console-owned records. Only the Accounts area's CSV import jobs live here: the progress
and the per-row error report of an import that runs in a Celery worker."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One CSV upload. The worker moves it through the phases and writes the outcome; the
    page polls it. The file is kept only until the job ends (it may hold personal data)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking every row")
        WRITING = "writing", _("Writing the accounts")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected: nothing was imported")
        FAILED = "failed", _("Failed: nothing was imported")

    FINISHED = (State.DONE, State.REJECTED, State.FAILED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: console_importjob_actor (actor, -created) serves every lookup by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    payload = models.BinaryField(blank=True, default=b"")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{row, username, errors: {field: [message]}}]
    summary = models.JSONField(default=dict, blank=True)  # {created, updated, unchanged}
    message = models.TextField(blank=True)  # a file-level error (encoding, header, size)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["actor", "-created"], name="console_importjob_actor")]

    def __str__(self) -> str:
        return f"import {self.uuid} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED
