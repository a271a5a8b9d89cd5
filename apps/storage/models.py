"""The file-storage configuration: one row (pk 1), edited in the console (v1's
``StorageConfig`` + ``MinioConfig``, with the secret key encrypted at rest)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField


class StorageConfig(models.Model):
    class Method(models.TextChoices):
        LOCAL = "local", _("Local disk")
        S3 = "s3", _("S3 or MinIO")

    method = models.CharField(max_length=8, choices=Method.choices, default=Method.LOCAL)
    endpoint_url = models.CharField(max_length=255, blank=True)  # empty: AWS's own endpoint
    region = models.CharField(max_length=64, blank=True)
    bucket = models.CharField(max_length=63, blank=True)
    access_key = models.CharField(max_length=128, blank=True)
    secret_key = EncryptedTextField(blank=True)  # write-only: never shown or returned
    prefix = models.CharField(max_length=128, blank=True)  # a folder inside the bucket
    path_style = models.BooleanField(default=True)  # MinIO and most emulators want path-style URLs
    public_url = models.CharField(max_length=255, blank=True)  # a public bucket or CDN; else ArkID serves
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"storage:{self.method}"

    def save(self, *args, **kwargs):
        self.pk = 1  # a singleton
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> StorageConfig:
        """The saved row, or the default (local disk) without writing one."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
