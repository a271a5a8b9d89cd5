from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "apps.directory"
    label = "directory"
    default_auto_field = "django.db.models.BigAutoField"
