"""Recording, listing and ending browser sessions; ending everything of a user."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.actions.tokens import revoke_all_tokens
from apps.accounts.models import UserSession
from apps.accounts.signals import sessions_ended
from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.core import request_context


def _store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def record_session(request, user) -> None:
    """Connected to ``user_logged_in``: remember which session belongs to whom."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()
    ctx = request_context.current()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "expires": session.get_expiry_date(),
            "ip": ctx.ip or None,
            "user_agent": (ctx.user_agent or request.META.get("HTTP_USER_AGENT", ""))[:255],
        },
    )


def forget_session(session_key: str | None) -> None:
    """Connected to ``user_logged_out`` (the session itself is flushed by Django)."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def live_sessions_of(user) -> list[UserSession]:
    """The user's sessions that still exist in the store (stale rows are dropped on the way)."""
    rows = list(UserSession.objects.filter(user=user, expires__gt=timezone.now()).order_by("-created"))
    store = _store()
    live = [row for row in rows if store.exists(row.session_key)]
    stale = [row.pk for row in rows if row not in live]
    if stale:
        UserSession.objects.filter(pk__in=stale).delete()
    return live


@transaction.atomic
def end_session_row(row: UserSession, *, actor) -> None:
    _store(row.session_key).delete()
    row.delete()
    record_event(Action.SESSION_ENDED, actor=actor, target=row.user, detail={"ip": row.ip or ""})


@transaction.atomic
def end_all_sessions(user, *, actor) -> dict:
    """Every browser session and API token of ``user``; then ``sessions_ended`` (OIDC)."""
    rows = list(UserSession.objects.filter(user=user))
    for row in rows:
        _store(row.session_key).delete()
    UserSession.objects.filter(user=user).delete()
    tokens = revoke_all_tokens(user, actor=actor, reason="sessions_ended")
    result = {"sessions": len(rows), "tokens": tokens}
    record_event(Action.SESSIONS_ENDED, actor=actor, target=user, detail=result)
    transaction.on_commit(lambda: sessions_ended.send(sender=type(user), user=user))
    return result
