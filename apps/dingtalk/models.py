"""DingTalk settings, the user and department mappings, and sync runs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField
from apps.core.models import TimestampedModel


class DingTalkSettings(TimestampedModel):
    """One row (pk 1). ``ARKID_DINGTALK_*`` variables win over these values (see config.py)."""

    app_key = models.CharField(max_length=128, blank=True)
    app_secret = EncryptedTextField(blank=True)
    corp_id = models.CharField(max_length=64, blank=True)
    callback_token = EncryptedTextField(blank=True)
    callback_aes_key = EncryptedTextField(blank=True)
    sync_interval_minutes = models.PositiveIntegerField(default=0)  # 0 = no scheduled sync
    match_by_mobile = models.BooleanField(default=True)
    match_by_email = models.BooleanField(default=True)
    push_back = models.BooleanField(default=False)  # local changes are written to DingTalk
    # QR login by an organisation member with no local account: create it (else refuse).
    login_provisioning = models.BooleanField(default=False)
    push_back_cursor = models.BigIntegerField(default=0)  # last audit event id turned into outbox entries

    @classmethod
    def load(cls) -> DingTalkSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class DingTalkUser(models.Model):
    """Which directory user mirrors which DingTalk userid (and its unionId, for QR login)."""

    userid = models.CharField(max_length=64, unique=True)
    unionid = models.CharField(max_length=128, blank=True, db_index=True)
    user = models.OneToOneField("directory.User", on_delete=models.CASCADE, related_name="dingtalk_account")
    data = models.JSONField(default=dict, blank=True)  # the last DingTalk record, to skip unchanged users


class DingTalkDepartment(models.Model):
    """Which directory group mirrors which DingTalk dept_id (names are not unique there)."""

    dept_id = models.BigIntegerField(unique=True)
    group = models.OneToOneField("directory.Group", on_delete=models.CASCADE, related_name="dingtalk_department")
    parent_id = models.BigIntegerField(null=True, blank=True)  # the DingTalk parent, as last synced


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (another run holds the lock)")

    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Incremental (change events)")

    class Phase(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        DEPARTMENTS = "departments", _("Reading departments")
        MEMBERS = "members", _("Reading members")
        APPLYING = "applying", _("Applying changes")
        DONE = "done", _("Done")

    started = models.DateTimeField(auto_now_add=True, db_index=True)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FULL)
    trigger = models.CharField(max_length=32, blank=True)  # schedule, api, command, event
    counts = models.JSONField(default=dict, blank=True)
    api_calls = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True)  # seconds
    errors = models.JSONField(default=list, blank=True)
    # Progress while running, written outside the apply transaction so pollers see it:
    # the phase and, while fetching members, departments done of the total.
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started", "-id"]

    @property
    def percent(self) -> int:
        """Share of the work done, for a progress bar (fetching is most of a run's time)."""
        if self.status != self.Status.RUNNING:
            return 100
        if self.phase == self.Phase.APPLYING:
            return 90
        if self.phase == self.Phase.MEMBERS and self.progress_total:
            return 10 + 80 * self.progress_done // self.progress_total
        return 5 if self.phase == self.Phase.DEPARTMENTS else 0


class OutboxEntry(TimestampedModel):
    """One DingTalk write to make (push-back), retried with backoff until done or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed (retry from the console)")

    api = models.CharField(max_length=64)  # e.g. topapi/v2/user/update
    body = models.JSONField(default=dict)
    target = models.CharField(max_length=64, db_index=True)  # "user:<pk>" / "group:<pk>"
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True)
    last_error = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
