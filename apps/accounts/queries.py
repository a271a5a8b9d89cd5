"""Reads scoped to the asking user: a user sees and touches only their own tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import ApiToken, Lockout


def active_tokens_of(user) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, revoked__isnull=True, expires__gt=timezone.now()).order_by(
        "-created", "-id"
    )


def active_token_of(user, token_id) -> ApiToken:
    """One of the user's working tokens; 404 for anyone else's, revoked or expired ones."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        raise Http404 from None
    token = active_tokens_of(user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


def active_lockouts() -> QuerySet[Lockout]:
    """Locks still in force, newest first (administrators only: the views' default permission)."""
    return Lockout.objects.filter(until__gt=timezone.now()).order_by("-created", "-id")
