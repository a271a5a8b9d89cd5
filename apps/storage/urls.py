"""``/media/`` (mounted by arkid/urls.py): files of the configured storage."""

from django.urls import path

from apps.storage import views

urlpatterns = [path("<path:name>", views.media_view, name="storage-media")]
