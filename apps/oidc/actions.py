"""Writes of the OIDC provider, each audited: clients (through the app's ``oauth_app``
protocol, whose change the app's own audit event records), secrets, single sign-out, key
rotation and the purge of expired tokens."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken, clear_expired
from oauth2_provider.settings import oauth2_settings

from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.oidc import keys
from apps.oidc.models import Application, RedeemedCode, SigningKey

logger = logging.getLogger(__name__)


def _grant_types(config: dict) -> list[str]:
    from apps.oidc.protocol import GRANTS

    grants = [GRANTS[g] for g in config["grant_types"] if GRANTS.get(g)]
    if config.get("allow_implicit"):
        grants.append(Application.GRANT_IMPLICIT)
    return grants or [Application.GRANT_AUTHORIZATION_CODE]


@transaction.atomic
def save_client(app, config: dict, *, rotate_secret: bool, actor) -> dict:
    """Create or update the OAuth client of ``app``; the secrets to show once ({} when none)."""
    client = Application.objects.select_for_update().filter(app=app).first()
    created = client is None
    if created:
        client = Application(app=app)
    grants = _grant_types(config)
    client.name = app.name
    client.client_type = config["client_type"]
    client.authorization_grant_type = grants[0]
    client.grant_types = " ".join(grants)
    client.redirect_uris = " ".join(config["redirect_uris"])
    client.post_logout_redirect_uris = " ".join(config["post_logout_redirect_uris"])
    client.skip_authorization = config["skip_authorization"]
    client.algorithm = config["algorithm"]
    client.backchannel_logout_uri = config["backchannel_logout_uri"]
    client.allowed_origins = " ".join(config.get("allowed_origins", []))
    shown = {}
    is_public = client.client_type == Application.CLIENT_PUBLIC
    client.hash_client_secret = not is_public
    if is_public:
        client.client_secret = ""  # nothing to hash: a public client authenticates with PKCE
    elif created or rotate_secret or not client.client_secret:
        secret = generate_client_secret()
        client.client_secret = secret  # DOT's field hashes it on save
        shown = {"client_id": client.client_id, "client_secret": secret}
    client.save()
    if shown:
        record_event(
            Action.OAUTH_CLIENT_SECRET_ISSUED,
            actor=actor,
            target=app,
            detail={"client_id": client.client_id, "rotated": not created},
        )
    elif created:
        shown = {"client_id": client.client_id}
    return shown


def delete_client(app) -> None:
    """The client and, by cascade, its grants and tokens (the app's audit event records it)."""
    Application.objects.filter(app=app).delete()


def revoke_user_tokens(user, *, reason: str, client=None, actor=None) -> list[dict]:
    """Revoke every access and refresh token of ``user`` (at ``client`` only, when given);
    the back-channel logouts to send.

    Returns ``[{"uri", "client_id"}]`` for each client with a back-channel logout URI that
    had tokens or ID tokens of the user (so there may be a session to end).
    """
    mine = {"user": user} if client is None else {"user": user, "application": client}
    with transaction.atomic():
        client_ids = set(AccessToken.objects.filter(**mine).values_list("application_id", flat=True))
        client_ids |= set(RefreshToken.objects.filter(**mine).values_list("application_id", flat=True))
        client_ids |= set(IDToken.objects.filter(**mine).values_list("application_id", flat=True))
        RefreshToken.objects.filter(**mine, revoked__isnull=True).update(revoked=timezone.now())
        revoked = AccessToken.objects.filter(**mine).delete()[0]
        IDToken.objects.filter(**mine).delete()
        Grant.objects.filter(**mine).delete()
        if client_ids:
            detail = {"reason": reason, "access_tokens": revoked, "clients": len(client_ids)}
            if client is not None:
                detail["client_id"] = client.client_id
            record_event(Action.OAUTH_TOKENS_REVOKED, actor=actor, target=user, detail=detail)
    return [
        {"uri": uri, "client_id": client_id}
        for client_id, uri in Application.objects.filter(pk__in=client_ids)
        .exclude(backchannel_logout_uri="")
        .values_list("client_id", "backchannel_logout_uri")
    ]


def sign_out(user, reason: str, *, client=None, actor=None) -> None:
    """Revoke the user's tokens (at ``client`` only, when given) and queue the back-channel
    logouts; the portal's "revoke this app" uses it for one client."""
    from apps.oidc import tasks

    targets = revoke_user_tokens(user, reason=reason, client=client, actor=actor)
    subject = str(user.uuid)
    for target in targets:
        transaction.on_commit(lambda t=target: tasks.send_backchannel_logout.delay(t["client_id"], t["uri"], subject))


def record_code_replay(client, *, user=None) -> None:
    record_event(
        Action.OAUTH_CODE_REPLAYED,
        outcome=Outcome.FAILURE,
        target=client.app,
        detail={"client_id": client.client_id, "user": str(user.uuid) if user else ""},
    )


def record_access_denied(client, user) -> None:
    record_event(
        Action.OAUTH_ACCESS_DENIED,
        outcome=Outcome.FAILURE,
        actor=user,
        target=client.app,
        detail={"client_id": client.client_id},
    )


@transaction.atomic
def rotate_keys(*, actor=None, algorithms=keys.ALGORITHMS) -> list[SigningKey]:
    """A new active key per algorithm; the old ones retire (still published until expiry)."""
    now = timezone.now()
    retired = SigningKey.objects.filter(algorithm__in=algorithms, retired__isnull=True).update(retired=now)
    new = [keys.create_key(algorithm) for algorithm in algorithms]
    keys.forget_cached()
    record_event(
        Action.OAUTH_KEYS_ROTATED,
        actor=actor,
        actor_name="" if actor else "system",
        detail={"new": [k.kid for k in new], "retired": retired},
    )
    return new


def purge_expired() -> dict:
    """DOT's purge of expired tokens and grants, our redeemed-code digests and dead keys."""
    clear_expired()
    now = timezone.now()
    codes = RedeemedCode.objects.filter(expires__lt=now).delete()[0]
    horizon = now - dt.timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS * 2)
    dead_keys = SigningKey.objects.filter(retired__lt=horizon).delete()[0]
    counts = {"redeemed_codes": codes, "signing_keys": dead_keys}
    record_event(Action.OAUTH_PURGED, actor_name="system", detail=counts)
    logger.info("oidc purge: %s", counts)
    return counts
