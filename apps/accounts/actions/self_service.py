"""Flows that a verification token unlocks: register, reset a forgotten password, change
one's mobile or email. Each consumes its token in the same transaction as the change, so a
refused change (username taken, weak password) leaves the token usable."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts import config
from apps.accounts.actions.codes import (
    REGISTER,
    RESET_PASSWORD,
    TOKEN_FIELD,
    UPDATE_CONTACT,
    consume_token,
    normalise_address,
    proven_addresses,
)
from apps.accounts.actions.mfa import mfa_needed
from apps.accounts.actions.passwords import set_new_password
from apps.accounts.actions.tokens import create_token
from apps.audit.actions import build_event, record_event, record_events
from apps.audit.models import Action
from apps.core.exceptions import DomainError
from apps.directory.actions.users import create_user, update_user
from apps.directory.models import Group, Origin


class RegistrationClosed(DomainError):
    status_code = 403

    def __init__(self):
        super().__init__(_("Registration is closed."), code="registration_closed")


def _registration_open(channel: str) -> None:
    account = config.account_config()
    allowed = account.allow_mobile if channel == "sms" else account.allow_email
    if not (account.allow_register and allowed):
        raise RegistrationClosed()


@transaction.atomic
def register(
    *, channel: str, token: str, username: str, password: str, name: str = "", issue_token: bool = True
) -> tuple[object, str | None]:
    """Create the account the verified address belongs to; return it and a login token
    (``issue_token=False``: the web page starts a session instead)."""
    _registration_open(channel)
    row = consume_token(channel, REGISTER, token, field=TOKEN_FIELD[channel])
    contact = {"mobile": row.address} if channel == "sms" else {"private_email": row.address}
    landing = config.account_config().register_group_uid
    groups = list(Group.objects.filter(uid=landing)) if landing else []
    user = create_user(
        actor=None,
        origin=Origin.MOBILE_REGISTRATION if channel == "sms" else Origin.EMAIL_REGISTRATION,
        password=password,
        groups=groups,
        username=username,
        name=name or username,
        **contact,
    )
    registered = build_event(Action.USER_REGISTERED, actor=user, target=user, detail={"via": channel})
    if not issue_token:
        record_events([registered])
        return user, None
    return user, create_token(user, actor=user, also_record=[registered])


@transaction.atomic
def reset_forgotten_password(*, channel: str, address: str, token: str, new_password: str) -> tuple[object, str]:
    """v1's ``PUT ucenter/password/ {mobile, sms_token, new_password}``: the token proves the
    address; the account is the one the code was sent for."""
    row = consume_token(channel, RESET_PASSWORD, token, field=TOKEN_FIELD[channel])
    if row.user is None or not row.user.is_active or (address and normalise_address(channel, address) != row.address):
        raise DomainError(_("The code is wrong or has expired."), field=TOKEN_FIELD[channel], code="invalid_code")
    record_event(Action.PASSWORD_RESET, actor=row.user, target=row.user, detail={"via": channel})
    # A code to a mobile or mailbox is not the authenticator: MFA users get a challenge.
    return row.user, set_new_password(row.user, new_password, issue=not mfa_needed(row.user))


@transaction.atomic
def change_contact(user, *, sms_token: str = "", email_token: str = ""):
    """v1's ``PATCH ucenter/contact/``: the new mobile and/or private email, each proven by a
    token that was requested by this user (with their password) for that very address."""
    proven = proven_addresses(user, UPDATE_CONTACT, sms_token=sms_token, email_token=email_token)
    fields = {"mobile" if channel == "sms" else "private_email": address for channel, address in proven.items()}
    if not fields:
        raise DomainError(_("Send sms_token or email_token."), code="required")
    update_user(user, fields, actor=user)
    record_event(Action.CONTACT_CHANGED, actor=user, target=user, detail={"fields": sorted(fields)})
    return user
