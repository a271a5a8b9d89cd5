"""The storage app's part of the REST API (collected by apps/api/urls.py)."""

from django.urls import path

from apps.storage import api

urlpatterns = [
    path("service/file/", api.FileUploadView.as_view(), name="file-upload"),
    path("config/storage/", api.StorageConfigView.as_view(), name="storage-config"),
]
