from django.urls import include, path

urlpatterns = [
    path("", include("apps.directory.api.users")),
    path("", include("apps.directory.api.nodes")),
]
