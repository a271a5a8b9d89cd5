from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.actions.housekeeping import purge_expired_security_rows
from apps.accounts.models import Lockout, UserSession, VerificationCode

pytestmark = pytest.mark.django_db


def test_purges_only_what_no_longer_matters(user):
    now = timezone.now()
    Lockout.objects.create(scope="ip", key="10.0.0.1", label="10.0.0.1", until=now - dt.timedelta(seconds=1))
    live_lock = Lockout.objects.create(
        scope="ip", key="10.0.0.2", label="10.0.0.2", until=now + dt.timedelta(minutes=5)
    )
    old = {"channel": "sms", "purpose": "register", "address": "+8618812345678", "code_digest": "x"}
    VerificationCode.objects.create(**old, expires=now - dt.timedelta(days=2))
    fresh = VerificationCode.objects.create(**old, expires=now - dt.timedelta(minutes=1))  # kept a day for audit
    UserSession.objects.create(user=user, session_key="a" * 32, expires=now - dt.timedelta(seconds=1))
    live_session = UserSession.objects.create(user=user, session_key="b" * 32, expires=now + dt.timedelta(hours=1))

    assert purge_expired_security_rows(now=now) == {"lockouts": 1, "codes": 1, "sessions": 1}
    assert list(Lockout.objects.all()) == [live_lock]
    assert list(VerificationCode.objects.all()) == [fresh]
    assert list(UserSession.objects.all()) == [live_session]
    assert purge_expired_security_rows(now=now) == {"lockouts": 0, "codes": 0, "sessions": 0}
