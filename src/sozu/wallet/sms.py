"""Text messages to her phone (the recovery code). One small interface, two local backends.

`SOZU_SMS_BACKEND`: "console" (the default: the message goes to the log, for a local machine)
or "locmem" (kept in `outbox`, for tests). A real SMS/WhatsApp provider plugs in here through
the credit reminders' notifier when it is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger("sozu.sms")


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


#: Messages "sent" by the locmem backend (tests read and clear it).
outbox: list[Sms] = []


def send_sms(*, to: str, text: str) -> None:
    backend = getattr(settings, "SOZU_SMS_BACKEND", "console")
    if backend == "locmem":
        outbox.append(Sms(to, text))
        return
    if backend == "console":
        if getattr(settings, "SOZU_PRODUCTION", False):
            raise RuntimeError("the console SMS backend would put codes in the logs")
        log.info("sms (console backend: not sent)", extra={"to": to[-4:], "text": text})
        return
    raise RuntimeError(f"unknown SOZU_SMS_BACKEND {backend!r}")
