"""Where verification codes go: SMTP mail, Aliyun SMS, or the development log.

:func:`deliver` picks the sender the administrator configured (``config/``'s
``sms_config.vendor`` / ``email_config.vendor``). Senders raise :class:`SendFailed` on any
delivery error; the caller turns that into a 503 without revealing provider details.
"""

from __future__ import annotations

from apps.accounts import config
from apps.accounts.senders.base import Message, SendFailed
from apps.accounts.senders.log import LogSender

__all__ = ["Message", "SendFailed", "can_send", "deliver"]


def _sms_sender():
    from apps.accounts.senders.aliyun import AliyunSmsSender  # noqa: PLC0415 - only when configured

    sms = config.sms_config()
    if sms.vendor == sms.Vendor.LOG:
        return LogSender()
    if sms.vendor == sms.Vendor.ALIYUN and sms.is_configured:
        return AliyunSmsSender(sms)
    return None


def _email_sender():
    from apps.accounts.senders.smtp import SmtpSender  # noqa: PLC0415 - only when configured

    email = config.email_config()
    if email.vendor == email.Vendor.LOG:
        return LogSender()
    if email.vendor == email.Vendor.SMTP and email.is_configured:
        return SmtpSender(email)
    return None


def can_send(channel: str) -> bool:
    """Whether a sender is configured for ``channel`` (``sms`` or ``email``)."""
    return (_sms_sender() if channel == "sms" else _email_sender()) is not None


def deliver(message: Message) -> None:
    """Send ``message`` on its channel; :class:`SendFailed` when no sender works."""
    sender = _sms_sender() if message.channel == "sms" else _email_sender()
    if sender is None:
        raise SendFailed(f"no {message.channel} sender configured")
    sender.send(message)
