"""Verification codes: send, verify (swap for a token), consume the token.

Fixes v1's SMS and OTP abuse (arkid-v1.md 9.1 item 9): codes come from ``secrets``
(6 digits), are stored as keyed hashes, expire after ``ARKID_CODE_TTL`` seconds, allow
``ARKID_CODE_MAX_ATTEMPTS`` guesses and are single use; sends are limited per address (one
per ``ARKID_CODE_RESEND_INTERVAL``, ``ARKID_CODE_MAX_PER_ADDRESS`` a day), per client IP and
per account, and an image captcha is required once an IP has sent
``ARKID_CODE_CAPTCHA_AFTER`` codes in an hour.

No enumeration: when the address cannot be used for the purpose (registering an address
that already has an account, resetting the password of an address that has none) the answer
is the same and nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from apps.accounts import captcha, ratelimit
from apps.accounts.masking import mask_email, mask_mobile
from apps.accounts.models import VerificationCode
from apps.accounts.senders import Message, SendFailed, deliver
from apps.audit.actions import record_event
from apps.audit.models import Action, Outcome
from apps.core import request_context
from apps.core.exceptions import DomainError
from apps.directory.normalize import normalize_email, normalize_mobile

logger = logging.getLogger("arkid.accounts.codes")

REGISTER, RESET_PASSWORD, UPDATE_CONTACT = "register", "reset_password", "update_contact"
ACTIVATE = "activate_user"  # an invitee verifying the mobile or email they will keep
PURPOSES = (REGISTER, RESET_PASSWORD, UPDATE_CONTACT, ACTIVATE)
DAY, HOUR = 86400, 3600


class CaptchaRequired(DomainError):
    def __init__(self):
        super().__init__(_("Solve the captcha first."), field="captcha", code="captcha_required")


class SendLimited(exceptions.Throttled):
    default_code = "too_many_codes"

    def __init__(self, wait: int):
        super().__init__(wait=wait, detail=_("Too many codes requested."))


class InvalidCode(DomainError):
    def __init__(self, field: str = "code"):
        super().__init__(_("The code is wrong or has expired."), field=field, code="invalid_code")


class SenderUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The message could not be sent. Try again later."
    default_code = "send_failed"


def _mac(*parts: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def normalise_address(channel: str, address: str) -> str:
    try:
        value = normalize_mobile(address) if channel == VerificationCode.Channel.SMS else normalize_email(address)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="mobile" if channel == "sms" else "email") from None
    if not value:
        raise DomainError(_("This field is required."), field="mobile" if channel == "sms" else "email")
    return value


def owner_of(channel: str, address: str):
    """The account this address belongs to (mobile, work or private email), if any."""
    users = get_user_model().objects
    if channel == VerificationCode.Channel.SMS:
        return users.filter(mobile=address).first()
    return users.filter(Q(email__iexact=address) | Q(private_email__iexact=address)).first()


def _masked(channel: str, address: str) -> str:
    return mask_mobile(address) if channel == VerificationCode.Channel.SMS else mask_email(address)


def _check_limits(channel: str, address: str, user, ip: str, captcha_key: str, captcha_answer: str) -> None:
    ip_sends = ratelimit.count("code-ip", ip)
    if ip_sends >= settings.CODE_CAPTCHA_AFTER and not captcha.check(captcha_key, captcha_answer):
        raise CaptchaRequired()
    if ratelimit.count("code-addr-gap", f"{channel}:{address}"):
        raise SendLimited(settings.CODE_RESEND_INTERVAL)
    if ratelimit.count("code-addr", f"{channel}:{address}") >= settings.CODE_MAX_PER_ADDRESS:
        raise SendLimited(DAY)
    if ip_sends >= settings.CODE_MAX_PER_IP:
        raise SendLimited(HOUR)
    if user is not None and ratelimit.count("code-user", str(user.pk)) >= settings.CODE_MAX_PER_ACCOUNT:
        raise SendLimited(HOUR)


def _count_send(channel: str, address: str, user, ip: str) -> None:
    ratelimit.hit("code-ip", ip, HOUR)
    ratelimit.hit("code-addr-gap", f"{channel}:{address}", settings.CODE_RESEND_INTERVAL)
    ratelimit.hit("code-addr", f"{channel}:{address}", DAY)
    if user is not None:
        ratelimit.hit("code-user", str(user.pk), HOUR)


def _message(channel: str, address: str, code: str, purpose: str) -> Message:
    minutes = max(1, settings.CODE_TTL // 60)
    return Message(
        channel=channel,
        address=address,
        code=code,
        purpose=purpose,
        subject=_("Your verification code: %(code)s") % {"code": code},
        body=_(
            "Your verification code is %(code)s. It is valid for %(minutes)d minutes. "
            "If you did not ask for it, ignore this message."
        )
        % {"code": code, "minutes": minutes},
    )


def send_code(channel: str, address: str, purpose: str, *, user=None, captcha_key: str = "", captcha_answer: str = ""):
    """Send a fresh code for ``purpose`` to ``address`` (``user``: the logged-in account for
    ``update_contact``, the invitee for ``activate_user``). Returns nothing the caller could
    use to tell whether it was sent."""
    address = normalise_address(channel, address)
    ip = request_context.current().ip or "-"
    owner = owner_of(channel, address)
    if purpose in (UPDATE_CONTACT, ACTIVATE) and owner is not None and owner != user:
        raise DomainError(
            _("This address already belongs to another account."),
            field="mobile" if channel == "sms" else "email",
            code="taken",
        )
    _check_limits(channel, address, user or owner, ip, captcha_key, captcha_answer)
    _count_send(channel, address, user or owner, ip)
    usable = not (
        (purpose == REGISTER and owner is not None)
        or (purpose == RESET_PASSWORD and (owner is None or not owner.is_active))
    )
    if not usable:
        record_event(
            Action.CODE_SENT,
            actor=user,
            target=owner,
            detail={"channel": channel, "purpose": purpose, "address": _masked(channel, address), "sent": False},
            outcome=Outcome.FAILURE,
        )
        return
    code = f"{secrets.randbelow(10**6):06d}"
    _store(channel, address, purpose, code, user=user if purpose in (UPDATE_CONTACT, ACTIVATE) else owner)
    try:
        deliver(_message(channel, address, code, purpose))
    except SendFailed:
        logger.exception("sending a %s code failed", channel)
        raise SenderUnavailable() from None
    record_event(
        Action.CODE_SENT,
        actor=user,
        target=owner or user,
        detail={"channel": channel, "purpose": purpose, "address": _masked(channel, address), "sent": True},
    )


@transaction.atomic
def _store(channel: str, address: str, purpose: str, code: str, *, user) -> None:
    # A new code replaces any earlier one: only the latest can be verified.
    VerificationCode.objects.filter(channel=channel, address=address, purpose=purpose, verified=None).delete()
    VerificationCode.objects.create(
        channel=channel,
        address=address,
        purpose=purpose,
        user=user,
        code_digest=_mac("code", channel, address, purpose, code),
        expires=timezone.now() + dt.timedelta(seconds=settings.CODE_TTL),
    )


def verify_code(channel: str, address: str, purpose: str, code: str) -> tuple[str, int]:
    """Swap a right code for a single-use token; ``(token, seconds valid)``. Every guess
    counts, the row is dead after ``ARKID_CODE_MAX_ATTEMPTS`` or its first success."""
    address = normalise_address(channel, address)
    now = timezone.now()
    row = (
        VerificationCode.objects.filter(
            channel=channel, address=address, purpose=purpose, verified=None, expires__gt=now
        )
        .order_by("-created")
        .first()
    )
    if row is None:
        _rejected(channel, address, purpose, "no_code")
        raise InvalidCode()
    # Count the guess first, atomically, so parallel guesses cannot exceed the cap.
    counted = VerificationCode.objects.filter(pk=row.pk, attempts__lt=settings.CODE_MAX_ATTEMPTS, verified=None).update(
        attempts=F("attempts") + 1
    )
    right = hmac.compare_digest(row.code_digest, _mac("code", channel, address, purpose, (code or "").strip()))
    if not counted or not right:
        _rejected(channel, address, purpose, "attempts" if not counted else "wrong")
        raise InvalidCode()
    token = secrets.token_urlsafe(32)
    won = VerificationCode.objects.filter(pk=row.pk, verified=None).update(
        verified=now,
        token_digest=_mac("token", token),
        token_expires=now + dt.timedelta(seconds=settings.CODE_TOKEN_TTL),
    )
    if not won:  # a parallel request verified it first
        raise InvalidCode()
    record_event(
        Action.CODE_VERIFIED,
        actor=None,
        target=row.user,
        detail={"channel": channel, "purpose": purpose, "address": _masked(channel, address)},
    )
    return token, settings.CODE_TOKEN_TTL


def _rejected(channel: str, address: str, purpose: str, reason: str) -> None:
    record_event(
        Action.CODE_REJECTED,
        actor=None,
        detail={"channel": channel, "purpose": purpose, "address": _masked(channel, address), "reason": reason},
        outcome=Outcome.FAILURE,
    )


def consume_token(channel: str, purpose: str, token: str, *, field: str) -> VerificationCode:
    """The verified code row behind ``token``, marked used (inside the caller's transaction,
    so a failed registration does not burn the token). :class:`InvalidCode` otherwise."""
    if not token:
        raise InvalidCode(field)
    now = timezone.now()
    row = (
        VerificationCode.objects.select_for_update()
        .filter(
            token_digest=_mac("token", token), channel=channel, purpose=purpose, consumed=None, token_expires__gt=now
        )
        .first()
    )
    if row is None:
        raise InvalidCode(field)
    VerificationCode.objects.filter(pk=row.pk).update(consumed=now)
    return row


TOKEN_FIELD = {"sms": "sms_token", "email": "email_token"}


def proven_addresses(user, purpose: str, *, sms_token: str = "", email_token: str = "") -> dict[str, str]:
    """``{channel: address}`` for each token given, consumed: each must have been issued for
    ``purpose`` to ``user`` (a token of another account is as wrong as a forged one)."""
    proven = {}
    for channel, token in (("sms", sms_token), ("email", email_token)):
        if not token:
            continue
        row = consume_token(channel, purpose, token, field=TOKEN_FIELD[channel])
        if row.user_id != user.pk:
            raise DomainError(_("The code is wrong or has expired."), field=TOKEN_FIELD[channel], code="invalid_code")
        proven[channel] = row.address
    return proven
