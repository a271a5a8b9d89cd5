from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts import receivers, schema  # noqa: F401 - schema registers the OpenAPI auth scheme

        receivers.connect()
