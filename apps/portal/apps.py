from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The end-user portal (工作台): server-rendered pages over the apps' actions and queries."""

    name = "apps.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"
