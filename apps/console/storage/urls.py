from django.urls import path

from apps.console.storage import views

urlpatterns = [path("", views.storage_view, name="console-storage")]
