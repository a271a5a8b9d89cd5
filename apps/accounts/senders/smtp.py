"""SMTP mail through Django's SMTP backend, configured from ``EmailConfig`` per send."""

from __future__ import annotations

import smtplib
import ssl
from email.utils import formataddr

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from apps.accounts.senders.base import Message, SendFailed

TIMEOUT = 10  # seconds; a request waits for the relay


class SmtpSender:
    def __init__(self, cfg):
        self.cfg = cfg

    def _backend(self) -> EmailBackend:
        cfg = self.cfg
        return EmailBackend(
            host=cfg.host,
            port=cfg.port,
            username=cfg.access_key or None,
            password=cfg.access_secret or None,
            use_tls=cfg.security == cfg.Security.STARTTLS,
            use_ssl=cfg.security == cfg.Security.SSL,
            timeout=TIMEOUT,
            fail_silently=False,
        )

    def send(self, message: Message) -> None:
        sender = self.cfg.from_address or self.cfg.access_key
        mail = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=formataddr((self.cfg.nickname, sender)),
            to=[message.address],
        )
        try:
            self._backend().send_messages([mail])
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise SendFailed(f"SMTP {self.cfg.host}:{self.cfg.port}: {exc}") from exc
