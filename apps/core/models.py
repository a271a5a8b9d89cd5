from __future__ import annotations

import uuid

from django.db import models


class TimestampedModel(models.Model):
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(TimestampedModel):
    """An integer primary key for joins plus a stable opaque UUID for the outside world."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True
