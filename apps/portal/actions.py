"""The one write the portal owns: a user withdrawing one OAuth app's authorisation.

apps.oidc revokes *all* of a user's tokens (single sign-out); the portal's "authorised apps"
page needs the same for one client, so it lives here, above apps.oidc in the layers, audited
with the same ``oauth.tokens_revoked`` action and followed by the client's back-channel logout.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.oidc import tasks
from apps.oidc.models import Application


@transaction.atomic
def revoke_app_authorisation(user, client: Application, *, actor) -> int:
    """Revoke every token and pending code of ``user`` at ``client``; the access tokens removed."""
    RefreshToken.objects.filter(user=user, application=client, revoked__isnull=True).update(revoked=timezone.now())
    removed = AccessToken.objects.filter(user=user, application=client).delete()[0]
    IDToken.objects.filter(user=user, application=client).delete()
    Grant.objects.filter(user=user, application=client).delete()
    record_event(
        Action.OAUTH_TOKENS_REVOKED,
        actor=actor,
        target=user,
        detail={"reason": "revoked_by_user", "access_tokens": removed, "clients": 1, "client_id": client.client_id},
    )
    if client.backchannel_logout_uri:
        subject = str(user.uuid)
        transaction.on_commit(
            lambda: tasks.send_backchannel_logout.delay(client.client_id, client.backchannel_logout_uri, subject)
        )
    return removed
