"""The first administrator: ``manage.py ensure_admin`` (idempotent, safe to run on every deploy).

v1 shipped ``admin``/``admin`` and documented it. We keep that bootstrap only when no
password is configured, and then force a password change at first login (the forced
reset lets the new token do nothing else). A configured password must pass the password
validators. An existing administrator's password is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.audit.actions import diff, record_event
from apps.audit.models import Action
from apps.directory.actions.users import PASSWORD_MARK, create_user
from apps.directory.models import Origin, User

ADMIN_USERNAME = "admin"
DEFAULT_ADMIN_PASSWORD = "admin"  # noqa: S105 - v1's documented bootstrap, always with a forced change


@dataclass(frozen=True)
class EnsureAdminResult:
    user: User | None
    created: bool
    default_password: bool


@transaction.atomic
def ensure_admin(password: str | None) -> EnsureAdminResult:
    """Create ``admin`` unless an active administrator exists. Raises django ValidationError
    ({"password": [...]} for a weak configured password, {"username": [...]} if a
    non-administrator already holds the name)."""
    existing = User.objects.filter(is_admin=True, is_active=True).order_by("pk").first()
    if existing is not None:
        return EnsureAdminResult(user=existing, created=False, default_password=False)
    use_default = not password
    if use_default and settings.ENVIRONMENT == "production":
        # A known password on a reachable production server belongs to whoever logs in first.
        raise ValidationError({"password": ["Set ARKID_ADMIN_PASSWORD: production never creates admin/admin."]})
    user = create_user(
        actor=None,
        origin=Origin.SCRIPT,
        username=ADMIN_USERNAME,
        password=None if use_default else password,  # a configured password is validated here
        must_reset_password=use_default,
    )
    # The directory's create_user cannot grant administration, and the default password must
    # bypass the validators; both are this bootstrap's job, audited as one update.
    before = {"is_admin": user.is_admin}
    user.is_admin = True
    update_fields = ["is_admin", "updated"]
    changes = diff(before, {"is_admin": True})
    if use_default:
        user.set_password(DEFAULT_ADMIN_PASSWORD)
        update_fields.append("password")
        changes["password"] = [None, PASSWORD_MARK]
    user.save(update_fields=update_fields)
    record_event(
        Action.USER_UPDATED,
        actor=None,
        actor_name="ensure_admin",
        target=user,
        changes=changes,
        detail={"bootstrap": True, "with_default": use_default},
    )
    return EnsureAdminResult(user=user, created=True, default_password=use_default)
