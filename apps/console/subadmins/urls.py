"""Sub-administrators area of the console, mounted at /console/subadmins/."""

from django.urls import path

from apps.console.subadmins import views

urlpatterns = [
    path("", views.list_view, name="console-subadmins"),
    path("new/", views.create_view, name="console-subadmins-create"),
    path("pickers/apps/", views.apps_picker_view, name="console-subadmins-picker-apps"),
    path("groups/<slug:uid>/", views.edit_view, name="console-subadmins-edit"),
    path("groups/<slug:uid>/delete/", views.delete_view, name="console-subadmins-delete"),
]
