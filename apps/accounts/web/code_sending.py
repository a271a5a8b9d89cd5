"""Sending a verification code from a web form (register, forgot password, invitations,
the portal's contact change): one place turns every refusal into the form's error."""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.actions import codes
from apps.core.exceptions import DomainError


def send_code_from_form(form, channel: str, address: str, purpose: str, *, user=None) -> bool:
    """Send ``purpose``'s code to ``address`` with the form's captcha fields; True when sent.
    A refusal becomes an error on ``form``: the captcha field when one is (now) required,
    the address when it is malformed or belongs to another account, else the whole form."""
    data = form.cleaned_data
    try:
        codes.send_code(channel, address, purpose, user=user,
                        captcha_key=data["captcha_key"], captcha_answer=data["captcha"])  # fmt: skip
    except codes.CaptchaRequired as exc:
        form.add_error("captcha", exc.message)
    except DomainError as exc:
        form.add_error("address", exc.message)
    except codes.SendLimited as exc:
        form.add_error(None, _("Too many codes requested. Try again in %(n)d seconds.") % {"n": exc.wait})
    except codes.SenderUnavailable:
        form.add_error(None, _("The message could not be sent. Try again later."))
    else:
        return True
    return False
