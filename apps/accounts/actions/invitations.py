"""Invitations: a single-use, expiring link for an administrator-created account.

The key is 32 random bytes (URL-safe text) shown once to the administrator; only its
SHA-256 digest is stored. A new invitation voids the user's earlier unused ones, and so do
a password change and a deactivation (an old link must not outlive the account's state).
An invitation activates the account only if it was created for an inactive (not yet
activated) account; one created for an active account that is deactivated later is void.
Acceptance locks the invitation row, so two concurrent acceptances cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from apps.accounts.actions.codes import ACTIVATE, TOKEN_FIELD, proven_addresses
from apps.accounts.actions.mfa import mfa_needed
from apps.accounts.actions.tokens import issue_token_after_commit
from apps.accounts.masking import mask_email
from apps.accounts.models import Invitation, digest
from apps.accounts.senders import Message, SendFailed, can_send, deliver
from apps.audit.actions import record_event
from apps.audit.models import Action
from apps.core.exceptions import DomainError
from apps.directory.actions.users import set_password, update_user

logger = logging.getLogger("arkid.accounts.invitations")

KEY_BYTES = 32


class InvitationNotFound(DomainError):
    """Unknown, expired and used keys all look the same to the caller."""

    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self):
        super().__init__(_("This invitation is invalid or has expired."), code="invitation_invalid")


def invitation_url(raw_key: str) -> str:
    """The server-rendered activation page. v1's links (``/#/oneid/activate?key=…``) still
    work: the login page forwards that fragment to this page."""
    return f"{settings.BASE_URL}/activate/?{urlencode({'key': raw_key})}"


def void_open_invitations(user) -> int:
    """Expire the user's unused invitations now; returns how many there were."""
    now = timezone.now()
    return Invitation.objects.filter(user=user, accepted__isnull=True, expires__gt=now).update(expires=now, updated=now)


@transaction.atomic
def create_invitation(user, *, actor) -> tuple[Invitation, str]:
    """Return the new invitation and its raw key (not stored; shown to the inviter once)."""
    now = timezone.now()
    voided = void_open_invitations(user)
    raw = secrets.token_urlsafe(KEY_BYTES)
    invitation = Invitation.objects.create(
        user=user,
        inviter=actor,
        key_digest=digest(raw),
        activates=not user.is_active,
        expires=now + dt.timedelta(seconds=settings.INVITATION_LIFETIME),
    )
    record_event(
        Action.INVITATION_CREATED,
        actor=actor,
        target=user,
        detail={"invitation": invitation.pk, "expires": invitation.expires, "voided": voided},
    )
    return invitation, raw


def find_usable_invitation(raw_key: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("user").filter(key_digest=digest(raw_key or "")).first() if raw_key else None
    )
    if invitation is None or not invitation.is_usable or not _may_enter(invitation):
        raise InvitationNotFound()
    return invitation


def _may_enter(invitation: Invitation) -> bool:
    # An account deactivated after it was invited stays out: only an activation invitation
    # (created while the account was still inactive) may turn it on.
    return invitation.user.is_active or invitation.activates


def verification_channels() -> list[str]:
    """Where an invitee can prove a mobile or email: the channels with a sender. With none
    configured nothing can be verified, and accepting needs the link alone (the only proof
    left is that the invitee holds the link the administrator handed over)."""
    return [channel for channel in ("sms", "email") if can_send(channel)]


def _verified_contact(user, sms_token: str, email_token: str) -> dict:
    """The contact fields the invitee proved (v1's ``sms_token`` / ``email_token`` from
    ``service/<channel>/activate_user/``), to store on the account; ``{}`` when no channel
    can verify. The token must have been issued for this invitee."""
    channels = verification_channels()
    if not channels:
        return {}
    proven = proven_addresses(user, ACTIVATE, sms_token=sms_token, email_token=email_token)
    fields = {"mobile" if channel == "sms" else "email": address for channel, address in proven.items()}
    if not fields:
        raise DomainError(
            _("Verify your mobile or email first: send sms_token or email_token."),
            field=TOKEN_FIELD["sms" if "sms" in channels else "email"],
            code="verification_required",
        )
    return fields


@transaction.atomic
def accept_invitation(
    raw_key: str, password: str, *, sms_token: str = "", email_token: str = "", issue_token: bool = True
) -> tuple[object, str | None]:
    """Check the invitee's proof of a mobile or email (when a sender can deliver codes), set
    their password, activate the account if the invitation was an activation one, use up the
    invitation; return the user and a fresh raw token (``None`` when the MFA policy asks for
    a second factor first, or with ``issue_token=False``: the web page starts a session
    through the login flow instead)."""
    if not raw_key:
        raise InvitationNotFound()
    # Lock only the invitation row: the second of two concurrent acceptances waits here and
    # then sees ``accepted`` set.
    invitation = Invitation.objects.select_for_update(of=("self",)).filter(key_digest=digest(raw_key)).first()
    if invitation is None or not invitation.is_usable or not _may_enter(invitation):
        raise InvitationNotFound()
    user = invitation.user
    contact = _verified_contact(user, sms_token, email_token)
    try:
        set_password(user, password, actor=user, must_reset=False)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    changes = {**({"is_active": True} if not user.is_active else {}), **contact}
    changes = {field: value for field, value in changes.items() if getattr(user, field) != value}
    if changes:
        update_user(user, changes, actor=user)
    invitation.accepted = timezone.now()
    invitation.save(update_fields=["accepted", "updated"])
    record_event(
        Action.INVITATION_ACCEPTED,
        actor=user,
        target=user,
        changes={"accepted": [None, invitation.accepted]},
        detail={
            "invitation": invitation.pk,
            "inviter": invitation.inviter.username if invitation.inviter else "",
            "verified": sorted(contact),
        },
    )
    if not issue_token or mfa_needed(user):  # MFA policy: enrol through the login challenge first
        return user, None
    return user, issue_token_after_commit(user, actor=user)


def email_invitation(user, url: str) -> str | None:
    """Mail the activation link to the user's work (else private) email; the masked address
    on success, ``None`` when there is no address or the mail could not be sent. Opening the
    link from that mailbox is what proves the address is theirs."""
    address = user.email or user.private_email
    if not address:
        return None
    body = _("You are invited to activate your account %(username)s. Open this link to set your password: %(url)s") % {
        "username": user.username,
        "url": url,
    }
    try:
        deliver(Message("email", address, "", "invitation", _("Activate your account"), body))
    except SendFailed:
        logger.exception("mailing the invitation of %s failed", user.pk)
        return None
    return mask_email(address)
