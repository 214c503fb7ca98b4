"""How Sozu signs webhook deliveries, and a verifier receivers can copy (standard library only).

Every delivery is an HTTP POST whose body is one JSON event::

    {"id": "evt_…", "type": "payout.paid", "created_at": "2026-…", "data": {…}}

with these headers:

``Sozu-Event-Id``
    The event id. Retries of the same event (and the same event sent to several endpoints)
    carry the same id: receivers must treat it as an idempotency key, because delivery is
    *at least once* (a lost 2xx answer or a crashed worker means the event is sent again).
``Sozu-Event-Type``
    ``payout.paid``, ``payout.failed``, ``payout.cancelled`` or ``batch.<status>``.
``Sozu-Timestamp``
    Unix time (seconds) at which this attempt was signed.
``Sozu-Signature``
    ``t=<unix>,v1=<hex>`` where ``<hex>`` is the hex HMAC-SHA256, keyed with the endpoint secret
    (the whole ``whsec_…`` string, UTF-8), of the bytes ``"<t>." + <raw request body>``.
    Accept the request when any ``v1=`` entry matches. Sozu sends one today: rotating the
    secret (``POST /api/v1/webhooks/{id}/rotate-secret``) replaces it at once, with no period
    in which the old secret still signs.

To verify: take the raw body bytes *before* parsing JSON, recompute the HMAC for ``t``, compare
in constant time, and refuse timestamps more than a few minutes away from your clock (replays).
Answer any 2xx to acknowledge; anything else (or no complete answer within 10 s) is retried
with backoff for about two days (10 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h, 24 h).
Redirects are not followed, and only the first 64 KiB of an answer are read.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_VERSION = "v1"


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the endpoint secret."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Sozu-Signature`` header value for one attempt."""
    return f"t={timestamp},{SIGNATURE_VERSION}={webhook_signature(secret, timestamp, body)}"


def webhook_signature_verify(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (``Sozu-Signature``) signs ``body`` with ``secret``, recently enough.

    ``body`` must be the raw request body. ``tolerance`` is the largest accepted distance, in
    seconds, between the signed timestamp and the receiver's clock.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == SIGNATURE_VERSION:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
