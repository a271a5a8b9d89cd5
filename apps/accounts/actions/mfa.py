"""TOTP two-factor authentication: enrolment, recovery codes, and the login challenge.

The login challenge: after a right password, a user who has a confirmed authenticator, or
whom the policy (``config/`` ``account_config.mfa_policy``: ``admins`` or ``all``) requires
to have one, gets an ``mfa_token`` instead of a session or API token. The ``mfa_token`` is
random, kept hashed in the cache for ``CHALLENGE_TTL`` seconds, and allows
``CHALLENGE_ATTEMPTS`` codes. A user the policy requires but who has no authenticator yet
enrols with that same ``mfa_token`` (the password was just proven), then answers it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import config, ratelimit
from apps.accounts.guard import LockedOut
from apps.accounts.models import RecoveryCode, TotpDevice
from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.core.exceptions import DomainError

ISSUER = "ArkID"
RECOVERY_COUNT = 10
CHALLENGE_TTL = 300
CHALLENGE_ATTEMPTS = 5
STEP = 30
USER_FAILURES_MAX = 10  # wrong second-factor codes per account ...
USER_FAILURE_WINDOW = 900  # ... per this many seconds, whatever the mfa_token
PREFIX = "accounts:mfa"


class InvalidMfaCode(DomainError):
    def __init__(self):
        super().__init__(_("The code is wrong."), field="code", code="invalid_mfa_code")


class InvalidMfaToken(DomainError):
    status_code = 401

    def __init__(self):
        super().__init__(
            _("The sign-in attempt has expired. Sign in again."), field="mfa_token", code="invalid_mfa_token"
        )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def confirmed_device(user) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed__isnull=False).first()


def policy_requires(user) -> bool:
    policy = config.account_config().mfa_policy
    return policy == "all" or (policy == "admins" and bool(getattr(user, "is_admin", False)))


def mfa_needed(user) -> bool:
    return policy_requires(user) or confirmed_device(user) is not None


# --- Enrolment -------------------------------------------------------------------------


def start_enrolment(user) -> dict:
    """A new secret (replacing an unconfirmed one), its otpauth URI and QR code as SVG."""
    if confirmed_device(user) is not None:
        raise DomainError(_("Two-factor authentication is already on."), code="mfa_enabled")
    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(user=user, defaults={"secret": secret, "confirmed": None, "last_step": 0})
    return _enrolment_data(user, secret)


def _enrolment_data(user, secret: str) -> dict:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_data_uri(scale=4)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": svg}


def pending_enrolment(user) -> dict | None:
    """The started, not yet confirmed enrolment (a web page shows its QR code again after a
    wrong first code), or ``None``."""
    device = TotpDevice.objects.filter(user=user, confirmed__isnull=True).first()
    return _enrolment_data(user, device.secret) if device else None


@transaction.atomic
def confirm_enrolment(user, code: str) -> list[str]:
    """Turn the authenticator on with a first right code; returns the recovery codes (shown once)."""
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed__isnull=True).first()
    if device is None or not _accept_totp(device, code):
        raise InvalidMfaCode()
    TotpDevice.objects.filter(pk=device.pk).update(confirmed=timezone.now())
    codes = _new_recovery_codes(user)
    record_event(Action.MFA_ENABLED, actor=user, target=user)
    return codes


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    raw = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=_digest(c)) for c in raw])
    return raw


@transaction.atomic
def regenerate_recovery_codes(user, code: str) -> list[str]:
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed__isnull=False).first()
    if device is None or not _accept_totp(device, code):
        raise InvalidMfaCode()
    codes = _new_recovery_codes(user)
    record_event(Action.MFA_RECOVERY_REGENERATED, actor=user, target=user)
    return codes


@transaction.atomic
def disable_mfa(user, *, actor) -> None:
    """Remove the authenticator and recovery codes. A user may not turn off what the policy
    requires; an administrator may (resetting a lost phone), and the user enrols again at
    the next login."""
    if actor == user and policy_requires(user):
        raise DomainError(_("Two-factor authentication is required for your account."), code="mfa_required")
    deleted, _counts = TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if deleted:
        record_event(Action.MFA_DISABLED, actor=actor, target=user)


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


# --- Checking a code -------------------------------------------------------------------


def _accept_totp(device: TotpDevice, code: str) -> bool:
    """A right code for the current step or one step either side, never a step already used."""
    code = (code or "").replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now_step = int(time.time()) // STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if step > device.last_step and hmac.compare_digest(totp.at(step * STEP), code):
            # Conditional UPDATE: two parallel requests with one code cannot both win.
            return bool(TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step))
    return False


def _accept_recovery(user, code: str) -> bool:
    code = (code or "").strip().lower()
    if len(code) != 17:
        return False
    used = RecoveryCode.objects.filter(user=user, digest=_digest(code), used__isnull=True).update(used=timezone.now())
    if used:
        record_event(Action.MFA_RECOVERY_USED, actor=user, target=user, detail={"left": recovery_codes_left(user)})
    return bool(used)


def check_second_factor(user, code: str) -> bool:
    device = confirmed_device(user)
    return device is not None and (_accept_totp(device, code) or _accept_recovery(user, code))


# --- The login challenge ---------------------------------------------------------------


def _challenge_key(token: str) -> str:
    return f"{PREFIX}:challenge:{_digest(token)}"


def open_challenge(user, *, channel: str) -> dict:
    """After a right password: what the client needs to ask for the second factor."""
    token = secrets.token_urlsafe(32)
    cache.set(_challenge_key(token), {"uid": user.pk, "failures": 0, "channel": channel}, CHALLENGE_TTL)
    return {"mfa_required": True, "mfa_token": token, "enrolled": confirmed_device(user) is not None}


def challenge_user(token: str):
    """The user a live ``mfa_token`` stands for, or :class:`InvalidMfaToken`."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    state = cache.get(_challenge_key(token or ""))
    user = state and get_user_model().objects.filter(pk=state["uid"], is_active=True).first()
    if not user:
        raise InvalidMfaToken()
    return user


def answer_challenge(token: str, code: str):
    """The user when ``code`` is right (enrolling first when the policy requires it and they
    had no authenticator): ``(user, recovery codes or None)``. The token dies on success and
    after ``CHALLENGE_ATTEMPTS`` wrong codes."""
    user = challenge_user(token)
    # Per account too: a fresh mfa_token per password login must not mean fresh guesses.
    if ratelimit.count("mfa-user", str(user.pk)) >= USER_FAILURES_MAX:
        raise LockedOut(USER_FAILURE_WINDOW)
    key = _challenge_key(token)
    recovery = None
    if confirmed_device(user) is None:
        try:
            recovery = confirm_enrolment(user, code)
            ok = True
        except InvalidMfaCode:
            ok = False
    else:
        ok = check_second_factor(user, code)
    if ok:
        cache.delete(key)
        return user, recovery
    state = cache.get(key) or {"failures": CHALLENGE_ATTEMPTS}
    state["failures"] += 1
    if state["failures"] >= CHALLENGE_ATTEMPTS:
        cache.delete(key)
    else:
        cache.set(key, state, CHALLENGE_TTL)
    ratelimit.hit("mfa-user", str(user.pk), USER_FAILURE_WINDOW)
    record_event(Action.MFA_FAILED, actor=None, target=user, outcome=Outcome.FAILURE)
    raise InvalidMfaCode()
