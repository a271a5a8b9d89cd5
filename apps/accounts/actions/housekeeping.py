"""Deleting what the security features leave behind once it can no longer matter:
lockout records past their end, verification codes a day after they expired or were
used, and session records past their session's expiry."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Lockout, UserSession, VerificationCode
from apps.audit.actions import record_event
from apps.audit.models import Action

GRACE = dt.timedelta(days=1)


@transaction.atomic
def purge_expired_security_rows(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    cutoff = now - GRACE
    lockouts, _ = Lockout.objects.filter(until__lt=now).delete()
    codes, _ = VerificationCode.objects.filter(
        Q(expires__lt=cutoff, token_expires__isnull=True) | Q(token_expires__lt=cutoff)
    ).delete()
    sessions, _ = UserSession.objects.filter(expires__lt=now).delete()
    result = {"lockouts": lockouts, "codes": codes, "sessions": sessions}
    if any(result.values()):
        record_event(Action.CREDENTIALS_PURGED, actor_name="system", detail=result)
    return result
