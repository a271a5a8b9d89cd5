from django.apps import AppConfig


class DingTalkConfig(AppConfig):
    name = "apps.dingtalk"
    label = "dingtalk"
    verbose_name = "DingTalk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.dingtalk import login, pushback

        pushback.connect()
        login.connect()
