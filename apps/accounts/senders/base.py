"""What every sender receives and raises."""

from __future__ import annotations

from dataclasses import dataclass, field


class SendFailed(Exception):
    """Delivery failed; the message is for the server log, never for the client."""


@dataclass(frozen=True)
class Message:
    channel: str  # "sms" or "email"
    address: str  # E.164 mobile or email address
    code: str
    purpose: str
    subject: str = ""
    body: str = ""
    extra: dict = field(default_factory=dict)
