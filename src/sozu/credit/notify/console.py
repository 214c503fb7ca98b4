"""The local backend: writes each reminder to the log (nothing leaves the machine)."""

from __future__ import annotations

import logging

from sozu.credit.notify.base import Notifier, OutgoingMessage

log = logging.getLogger("sozu.credit.reminders")


class ConsoleNotifier(Notifier):
    name = "console"

    def send(self, message: OutgoingMessage) -> str:
        log.info("reminder %s to %s: %s", message.id, message.to or "-", message.body)
        return f"console-{message.id}"
