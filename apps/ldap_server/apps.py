from django.apps import AppConfig


class LdapServerConfig(AppConfig):
    name = "apps.ldap_server"
    label = "ldap_server"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Change-feed receivers on the directory's models, and the ldap_app protocol handler
        # with service accounts (replacing the permissions app's plain one).
        from apps.ldap_server import changes, service_accounts

        changes.connect()
        service_accounts.register()
