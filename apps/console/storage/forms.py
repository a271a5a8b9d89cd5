"""The storage settings form: input shape only; apps.storage.actions validates the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.storage.models import StorageConfig


class StorageForm(forms.Form):
    method = forms.ChoiceField(label=_("Where files are stored"), choices=StorageConfig.Method.choices,
                               widget=forms.RadioSelect)  # fmt: skip
    endpoint_url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=255,
        required=False,
        help_text=_("For MinIO or another S3-compatible server, e.g. http://minio:9000. Empty: Amazon S3."),
    )
    region = forms.CharField(label=_("Region"), max_length=64, required=False)
    bucket = forms.CharField(label=_("Bucket"), max_length=63, required=False)
    access_key = forms.CharField(label=_("Access key"), max_length=128, required=False)
    secret_key = forms.CharField(
        label=_("Secret key"),
        max_length=1024,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),  # never rendered back
    )
    prefix = forms.CharField(label=_("Folder in the bucket"), max_length=128, required=False)
    path_style = forms.BooleanField(label=_("Path-style URLs (MinIO)"), required=False)
    public_url = forms.CharField(
        label=_("Public URL of the bucket"),
        max_length=255,
        required=False,
        help_text=_("Optional (a public bucket or CDN). Empty: ArkID serves the files itself."),
    )
