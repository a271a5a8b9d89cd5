"""Development sender: the code goes to the log (``ARKID_LOG_LEVEL`` INFO), nothing leaves the host."""

from __future__ import annotations

import logging

from apps.accounts.senders.base import Message

logger = logging.getLogger("arkid.accounts.senders")


class LogSender:
    def send(self, message: Message) -> None:
        if not message.code:  # a link rather than a code (invitations): the body carries it
            logger.warning(
                "DEV SENDER (not for production): %s to %s: %s", message.channel, message.address, message.body
            )
            return
        logger.warning(
            "DEV SENDER (not for production): %s code for %s to %s: %s",
            message.channel,
            message.purpose,
            message.address,
            message.code,
        )
