"""Sending reminders to borrowers: one notifier interface, backends chosen by setting.

Like django-polaris integrations: `base.Notifier` documents the contract, backends subclass
it, and `get_notifier()` loads the one named by ``SOZU_NOTIFIER`` (a dotted class path; the
console backend by default), checking its type once.
"""

from sozu.credit.notify.base import (
    DeliveryFailed,
    DeliveryRetry,
    Notifier,
    OutgoingMessage,
    get_notifier,
)

__all__ = ["DeliveryFailed", "DeliveryRetry", "Notifier", "OutgoingMessage", "get_notifier"]
