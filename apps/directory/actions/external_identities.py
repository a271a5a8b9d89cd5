"""Links between users and their accounts at other providers (DingTalk, later others).

One row per (provider, external id) and per (provider, user): an external account belongs to
exactly one user, and a user has at most one account per provider. Both are database
constraints, so two concurrent links of the same DingTalk account cannot both win.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.core.exceptions import Conflict, DomainError
from apps.directory.models import ExternalIdentity, User


def _clean(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("This field is required.", field=field)
    return value


@transaction.atomic
def link_external_identity(user: User, *, provider: str, external_id: str, actor, data: dict | None = None):
    provider = _clean(provider, "provider").lower()
    external_id = _clean(external_id, "external_id")
    existing = ExternalIdentity.objects.filter(provider=provider, external_id=external_id).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise Conflict("This external account is already linked to another user.", field="external_id")
        if data is not None and existing.data != data:
            existing.data = data
            existing.save(update_fields=["data", "updated"])
        return existing
    try:
        with transaction.atomic():
            identity = ExternalIdentity.objects.create(
                provider=provider, external_id=external_id, user=user, data=data or {}
            )
    except IntegrityError:
        raise Conflict(
            "This user already has an account of this provider, or it was just linked elsewhere.",
            field="external_id",
        ) from None
    record_event(
        Action.EXTERNAL_IDENTITY_LINKED,
        actor=actor,
        target=user,
        detail={"provider": provider, "external_id": external_id},
    )
    return identity


@transaction.atomic
def unlink_external_identity(user: User, *, provider: str, actor) -> bool:
    identity = ExternalIdentity.objects.filter(provider=provider.lower(), user=user).first()
    if identity is None:
        return False
    identity.delete()
    record_event(
        Action.EXTERNAL_IDENTITY_UNLINKED,
        actor=actor,
        target=user,
        detail={"provider": identity.provider, "external_id": identity.external_id},
    )
    return True


def find_user_by_external_id(provider: str, external_id: str) -> User | None:
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider.lower(), external_id=external_id)
        .first()
    )
    return identity.user if identity else None
