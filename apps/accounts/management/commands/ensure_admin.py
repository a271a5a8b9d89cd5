"""``python manage.py ensure_admin``: create the first administrator if there is none."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.actions.bootstrap import ADMIN_USERNAME, DEFAULT_ADMIN_PASSWORD, ensure_admin


class Command(BaseCommand):
    help = (
        "Create the administrator 'admin' if no active administrator exists. The password comes from "
        "ARKID_ADMIN_PASSWORD; without it the password is 'admin' and must be changed at first login. "
        "An existing administrator is never changed."
    )

    def handle(self, *args, **options):
        try:
            result = ensure_admin(settings.ADMIN_PASSWORD)
        except ValidationError as exc:
            raise CommandError(self._describe(exc)) from None
        if not result.created:
            self.stdout.write(f"An administrator already exists ({result.user.username}); nothing to do.")
            return
        self.stdout.write(self.style.SUCCESS(f"Created administrator '{ADMIN_USERNAME}'."))
        if result.default_password:
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: no ARKID_ADMIN_PASSWORD was set, so the password is '{DEFAULT_ADMIN_PASSWORD}'. "
                    "Log in and change it now: until then the account can do nothing else."
                )
            )

    @staticmethod
    def _describe(exc: ValidationError) -> str:
        if not hasattr(exc, "error_dict"):
            return " ".join(exc.messages)
        parts = []
        for field, messages in exc.message_dict.items():
            label = "ARKID_ADMIN_PASSWORD" if field == "password" else field
            parts.append(f"{label}: {' '.join(messages)}")
        return "Cannot create the administrator. " + "; ".join(parts)
