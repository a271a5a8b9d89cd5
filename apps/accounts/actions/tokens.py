"""Issuing and revoking API tokens. Every login gets its own token (v1 shared one per user
across all devices); only the SHA-256 digest and an 8-character prefix are stored."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts import token_cache
from apps.accounts.models import ApiToken, Invitation, digest, new_key
from apps.audit.actions import build_event, record_event, record_events
from apps.audit.models import Action, Event
from apps.core import request_context

logger = logging.getLogger(__name__)

# Revoked and expired tokens stay this long so token lists and investigations can still see them.
PURGE_GRACE = dt.timedelta(days=1)


def _create_token(user, raw: str, *, actor, also_record: Sequence[Event] = ()) -> ApiToken:
    ctx = request_context.current()
    token = ApiToken.objects.create(
        user=user,
        key_digest=digest(raw),
        prefix=raw[:8],
        expires=timezone.now() + dt.timedelta(seconds=settings.API_TOKEN_LIFETIME),
        ip=ctx.ip,
        user_agent=ctx.user_agent,
    )
    issued = build_event(
        Action.TOKEN_ISSUED, actor=actor, target=token, detail={"user": user.username, "prefix": token.prefix}
    )
    record_events([*also_record, issued])
    return token


def create_token(user, *, actor, also_record: Sequence[Event] = ()) -> str:
    """Create a token for ``user`` and return the raw key; it is never stored or shown again.
    For callers already inside a transaction (login): no savepoint. ``also_record``: events
    built by the caller, written in the same INSERT as TOKEN_ISSUED."""
    raw = new_key()
    _create_token(user, raw, actor=actor, also_record=also_record)
    return raw


@transaction.atomic
def issue_token(user, *, actor) -> str:
    """:func:`create_token` in its own transaction."""
    return create_token(user, actor=actor)


def issue_token_after_commit(user, *, actor) -> str:
    """Return a raw key whose token is created once the current transaction commits.

    Used after a password change: the ``password_changed`` signal revokes every token of the
    user when the change commits, and a token created inside the same transaction would be
    revoked with the others. On-commit callbacks run in registration order, so this one runs
    after the revocation that the password change queued before it.
    """
    raw = new_key()
    transaction.on_commit(lambda: issue_token_for_key(user, raw, actor=actor))
    return raw


@transaction.atomic
def issue_token_for_key(user, raw: str, *, actor) -> ApiToken:
    return _create_token(user, raw, actor=actor)


@transaction.atomic
def revoke_token(token: ApiToken, *, actor) -> bool:
    """Revoke one token. Returns False if it was already revoked (nothing is recorded)."""
    now = timezone.now()
    updated = ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=now, updated=now)
    if not updated:
        return False
    token_cache.forget([token.key_digest])
    token.revoked = now
    record_event(
        Action.TOKEN_REVOKED,
        actor=actor,
        target=token,
        changes={"revoked": [None, now]},
        detail={"user": token.user.username, "prefix": token.prefix},
    )
    return True


@transaction.atomic
def revoke_all_tokens(user, *, actor, reason: str) -> int:
    """Revoke every still-valid token of ``user``; one audit event when any was revoked."""
    now = timezone.now()
    token_cache.forget_user(user.pk)  # before the update: it marks the still unrevoked ones
    count = ApiToken.objects.filter(user=user, revoked__isnull=True, expires__gt=now).update(revoked=now, updated=now)
    if count:
        record_event(Action.TOKEN_REVOKED, actor=actor, target=user, detail={"count": count, "reason": reason})
    return count


@transaction.atomic
def purge_expired_tokens(*, now=None) -> dict[str, int]:
    """Delete tokens expired or revoked more than a day ago, and expired invitations."""
    now = now or timezone.now()
    cutoff = now - PURGE_GRACE
    tokens, _ = ApiToken.objects.filter(expires__lt=cutoff).delete()
    revoked, _ = ApiToken.objects.filter(revoked__lt=cutoff).delete()
    invitations, _ = Invitation.objects.filter(expires__lt=now).delete()
    result = {"tokens": tokens + revoked, "invitations": invitations}
    if tokens + revoked + invitations:
        record_event(Action.CREDENTIALS_PURGED, actor_name="system", detail={**result, "before": cutoff})
    logger.info("accounts purge removed %(tokens)s tokens and %(invitations)s invitations", result)
    return result
