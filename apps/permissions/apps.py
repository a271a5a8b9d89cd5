from __future__ import annotations

from django.apps import AppConfig


class PermissionsConfig(AppConfig):
    name = "apps.permissions"
    label = "permissions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cache invalidation hooks and the login-response contributor.
        from apps.directory import scope
        from apps.permissions import cache, login, manager_scope  # noqa: F401

        # Sub-administrators: the directory computes scopes from our manager groups.
        scope.register_resolver(manager_scope.ManagerGroupResolver())
