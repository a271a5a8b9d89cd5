"""Brute-force guard: the one door every password check goes through.

Call :func:`verify_password_attempt` from every place that takes a password — the API login,
the web login page, the logged-out password change, the OAuth password grant (apps.oidc) and
the LDAP bind (apps.ldap_server). It returns the user or ``None`` and raises
:class:`LockedOut` (rendered as ``429`` with ``Retry-After``) while the account or the client
IP must wait::

    from apps.accounts.guard import LockedOut, verify_password_attempt

    try:
        user = verify_password_attempt(identifier, password, ip=client_ip, channel="ldap")
    except LockedOut as exc:
        ...  # refuse; exc.retry_after is in seconds

Two counters per attempt, in the shared cache (atomic ``incr``, so every web worker and
replica sees the same numbers): one per account and one per client IP. After
``ARKID_LOCKOUT_*_DELAY_AFTER`` failures each further failure makes the next attempt wait
(1, 2, 4, … seconds, capped): the client is refused with ``Retry-After`` instead of the
server sleeping, which would hand an attacker our worker threads. At
``ARKID_LOCKOUT_*_THRESHOLD`` failures the key is locked for ``ARKID_LOCKOUT_DURATION``
seconds; locks are also stored in :class:`apps.accounts.models.Lockout` so administrators
can list and clear them (the cache cannot be listed portably).

No enumeration: an identifier that names no account has its own counter (a keyed
fingerprint of the typed text) with the same thresholds, an unknown user still costs one
password hash (the backend hashes a dummy), and a refused attempt hashes nothing for
anybody. Hand-written rather than django-axes: axes counts per username string (so
``alice`` and her e-mail address would be two budgets), has no progressive delay without
sleeping, and stores every attempt in the database, which is itself a flood target.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from apps.accounts.backends import check_login_password, find_login_user
from apps.accounts.models import Lockout
from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.core import request_context

# Audit detail keeps at most this much of what the client typed as its identifier.
IDENTIFIER_MAX = 254
PREFIX = "accounts:guard"


def now() -> float:
    """The clock, one function so tests can move it instead of sleeping."""
    return time.time()


class LockedOut(exceptions.Throttled):
    """Too many failures: the same answer whether or not the account exists. DRF renders it
    as ``429`` with ``Retry-After``; other callers (LDAP, the web page) read ``retry_after``."""

    default_code = "locked_out"

    def __init__(self, retry_after: int):
        super().__init__(
            wait=retry_after,
            detail=_("Too many failed attempts."),  # DRF appends "Expected available in N seconds."
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Policy:
    delay_after: int
    threshold: int


def _policy(scope: str) -> Policy:
    if scope == Lockout.Scope.IP:
        return Policy(settings.LOCKOUT_IP_DELAY_AFTER, settings.LOCKOUT_IP_THRESHOLD)
    return Policy(settings.LOCKOUT_ACCOUNT_DELAY_AFTER, settings.LOCKOUT_ACCOUNT_THRESHOLD)


def fingerprint(text: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:24]


def account_key(identifier: str, user) -> str:
    # Known accounts count per user, so username, e-mail and mobile share one budget.
    if user is not None:
        return f"user:{user.pk}"
    return f"unknown:{fingerprint((identifier or '').strip().lower())}"


def _fail_key(scope: str, key: str) -> str:
    return f"{PREFIX}:fail:{scope}:{key}"


def _wait_key(scope: str, key: str) -> str:
    return f"{PREFIX}:wait:{scope}:{key}"


def _wait_until(scope: str, key: str) -> float:
    """When the key may try again (a clock value); 0 or a past value when it may try now."""
    return cache.get(_wait_key(scope, key)) or 0


def wait_seconds(scope: str, key: str) -> int:
    """Seconds the key must still wait; 0 when it may try now."""
    return max(0, math.ceil(_wait_until(scope, key) - now()))


def _record_refusal_once(until: float, user, detail: dict, actor_name: str = "") -> None:
    """Audit the first refusal of each wait period only: a locked-out attacker hammering
    the endpoint must not turn into one database row per request."""
    marker = f"{PREFIX}:refused:{fingerprint(repr((detail['identifier'], until)))}"
    if cache.add(marker, 1, timeout=max(1, math.ceil(until - now())) + 1):
        record_event(
            Action.LOGIN_REFUSED,
            actor=None,
            actor_name=actor_name,
            target=user,
            detail=detail,
            outcome=Outcome.FAILURE,
        )


def _delay_for(failures: int, policy: Policy) -> int:
    if failures >= policy.threshold:
        return settings.LOCKOUT_DURATION
    if failures < policy.delay_after:
        return 0
    return min(settings.LOCKOUT_MAX_DELAY, settings.LOCKOUT_BASE_DELAY * 2 ** (failures - policy.delay_after))


def _count_failure(scope: str, key: str, label: str) -> None:
    fail_key = _fail_key(scope, key)
    cache.add(fail_key, 0, timeout=settings.LOCKOUT_WINDOW)
    try:
        failures = cache.incr(fail_key)
    except ValueError:  # expired between add and incr
        cache.add(fail_key, 1, timeout=settings.LOCKOUT_WINDOW)
        failures = 1
    policy = _policy(scope)
    delay = _delay_for(failures, policy)
    if not delay:
        return
    until = now() + delay
    cache.set(_wait_key(scope, key), until, timeout=delay + 1)
    if failures == policy.threshold:
        _record_lockout(scope, key, label, failures, delay)


def _record_lockout(scope: str, key: str, label: str, failures: int, duration: int) -> None:
    until = timezone.now() + dt.timedelta(seconds=duration)
    try:
        with transaction.atomic():
            Lockout.objects.update_or_create(
                scope=scope, key=key, defaults={"label": label[:IDENTIFIER_MAX], "until": until, "failures": failures}
            )
    except IntegrityError:  # a parallel failure wrote it first: the lock is recorded either way
        pass
    record_event(
        Action.LOCKOUT_STARTED,
        actor=None,
        detail={"scope": scope, "key": label[:IDENTIFIER_MAX], "failures": failures, "seconds": duration},
        outcome=Outcome.FAILURE,
    )


def clear(scope: str, key: str) -> None:
    cache.delete_many([_fail_key(scope, key), _wait_key(scope, key)])


def _audited_identifier(identifier: str, user) -> str:
    """Typed text that names no account is often a password entered in the wrong box, so it
    is kept only as a keyed fingerprint: repeated attempts still correlate."""
    if user is not None:
        return identifier[:IDENTIFIER_MAX]
    return f"unknown:{fingerprint(identifier)[:16]}"


def _failure_reason(user) -> str:
    if user is None:
        return "unknown_user"
    return "bad_password" if user.is_active else "inactive"


def verify_password_attempt(
    identifier: str,
    password: str,
    *,
    ip: str | None = None,
    channel: str = "password",
    user=None,
    action=None,
    actor_name: str = "",
):
    """The active user ``identifier`` names when ``password`` is right, else ``None``.

    ``ip`` defaults to the current request's client IP; ``channel`` (``api``, ``web``,
    ``oauth``, ``ldap``, ``password_change``, ...) goes to the audit log. Pass ``user`` when
    the account is already known (a logged-in password change). Failures and refusals are
    audited (``action`` overrides ``auth.login_failed`` for the failure event, ``actor_name``
    names who tried, such as the LDAP bind DN). Raises
    :class:`LockedOut` without checking the password while the account or IP must wait.
    """
    ip = ip if ip is not None else request_context.current().ip
    if user is None:
        user = find_login_user(identifier)
    acct = account_key(identifier, user)
    until = max(_wait_until(Lockout.Scope.ACCOUNT, acct), _wait_until(Lockout.Scope.IP, ip) if ip else 0)
    detail = {"identifier": _audited_identifier(identifier, user), "via": channel}
    retry = max(0, math.ceil(until - now()))
    if retry:
        _record_refusal_once(until, user, {**detail, "ip": ip or ""}, actor_name)
        raise LockedOut(retry)
    if check_login_password(user, password):
        clear(Lockout.Scope.ACCOUNT, acct)
        return user
    record_event(
        action or Action.LOGIN_FAILED,
        actor=None,
        actor_name=actor_name,
        target=user,
        detail={**detail, "reason": _failure_reason(user)},
        outcome=Outcome.FAILURE,
    )
    _count_failure(Lockout.Scope.ACCOUNT, acct, detail["identifier"])
    if ip:
        _count_failure(Lockout.Scope.IP, ip, ip)
    return None
