"""The notifier contract and the registry that picks the configured backend."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULT_NOTIFIER = "sozu.credit.notify.console.ConsoleNotifier"


@dataclass(frozen=True)
class OutgoingMessage:
    """What to send: the outbox row's id (a stable idempotency key), where, and the text."""

    id: int
    to: str
    body: str


class DeliveryRetry(Exception):
    """A transient failure (timeout, 5xx, connection refused): try again later."""


class DeliveryFailed(Exception):
    """A terminal failure (bad number, rejected credentials, 4xx): do not try again."""


class Notifier:
    """Sends one message. Subclasses implement `send`; `name` is stored on the outbox row.

    Contract:
    - `send` is called OUTSIDE any database transaction and must not touch the database.
    - It returns the provider's id of the accepted message ("" if there is none).
    - It raises `DeliveryRetry` when the outcome is unknown or transient (the outbox tries
      again later with back-off), `DeliveryFailed` when retrying cannot help. Any other
      exception is treated as `DeliveryRetry`.
    - The same `OutgoingMessage.id` may be sent again after a crash between the provider's
      answer and the outbox update: backends that can, pass it as an idempotency key.
    """

    name = "base"
    #: Whether a message needs a phone number in `to` (no number → failed, not sent).
    needs_address = False

    def send(self, message: OutgoingMessage) -> str:
        raise NotImplementedError


@cache
def _load(path: str) -> Notifier:
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SOZU_NOTIFIER: cannot import {path!r}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Notifier)):
        raise ImproperlyConfigured(f"SOZU_NOTIFIER: {path!r} is not a Notifier subclass")
    return cls()


def notifier_path() -> str:
    return str(
        getattr(settings, "SOZU_NOTIFIER", None)
        or os.environ.get("SOZU_NOTIFIER")
        or DEFAULT_NOTIFIER
    )


def get_notifier() -> Notifier:
    """The configured backend (one instance per class path)."""
    return _load(notifier_path())
