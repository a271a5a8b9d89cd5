"""Administrators clearing a brute-force lockout (the guard itself is apps.accounts.guard)."""

from __future__ import annotations

from django.db import transaction

from apps.accounts import guard
from apps.accounts.models import Lockout
from apps.audit.actions import record_event
from apps.audit.models import Action


@transaction.atomic
def clear_lockout(lockout: Lockout, *, actor) -> None:
    """Forget the lock and the failure counters of its key, at once."""
    guard.clear(lockout.scope, lockout.key)
    lockout.delete()
    record_event(
        Action.LOCKOUT_CLEARED,
        actor=actor,
        detail={"scope": lockout.scope, "key": lockout.label, "failures": lockout.failures},
    )
