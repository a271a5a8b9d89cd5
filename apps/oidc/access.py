"""Who may use an OAuth client: the access permission of its ``permissions.App``."""

from __future__ import annotations

from apps.permissions import engine
from apps.permissions.models import Permission


def may_use(user, client) -> bool:
    """``user`` holds the access permission of the app behind ``client`` (an oidc.Application)."""
    if user is None or not user.is_active:
        return False
    perm = (
        Permission.objects.select_related("app")
        .filter(app_id=client.app_id, kind=Permission.Kind.ACCESS)
        .only("id", "uuid", "uid", "kind", "app__id", "app__uid", "app__allow_any_user")
        .first()
    )
    return perm is not None and engine.has_perm(user, perm)
