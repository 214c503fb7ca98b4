"""Webhook endpoints, events queued inside the caller's transaction, and their signed delivery.

Events are an outbox: `webhook_event_emit` writes `WebhookDelivery` rows in the caller's
database transaction, so an event exists exactly when the change it reports was committed.
`webhook_deliver_due` later claims due rows, POSTs them outside any transaction and records the
answer. The wire format and the signature are described in `sozu.webhooks.signing`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import queue
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.errors import SozuError
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import Organization
from sozu.stellar.signers import SecretBoxError
from sozu.webhooks import transport
from sozu.webhooks.models import WebhookDelivery, WebhookEndpoint
from sozu.webhooks.signing import webhook_signature_header

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret
#: Settings (optional; read with these defaults when settings.py does not define them):
#: the whole exchange with a receiver, connect to last byte, ends after this many seconds;
DEADLINE_SECONDS = ("SOZU_WEBHOOK_DEADLINE_SECONDS", 10.0)
#: at most this many bytes of a receiver's answer (status line, headers, body) are read;
MAX_ANSWER_BYTES = ("SOZU_WEBHOOK_MAX_ANSWER_BYTES", 64 * 1024)
#: deliveries sent at once by one delivery run, in all and per organization;
CONCURRENCY = ("SOZU_WEBHOOK_CONCURRENCY", 8)
CONCURRENCY_PER_ORG = ("SOZU_WEBHOOK_CONCURRENCY_PER_ORG", 2)
#: active endpoints an organization may have.
MAX_ENDPOINTS_PER_ORG = ("SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG", 10)
#: Wait after failed attempt n (1-based) before attempt n + 1; after the last one, give up.
BACKOFF = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: A claimed delivery is not due again for this long: if the worker dies while sending,
#: another worker sends it after the lease (delivery is at least once).
CLAIM_LEASE = timedelta(minutes=2)
_LOOPBACK_HOSTS = {"localhost"}


def _setting(entry: tuple[str, Any]) -> Any:
    name, default = entry
    return getattr(settings, name, default)


# --- endpoints ---------------------------------------------------------------------------
def _loopback_http_allowed() -> bool:
    return bool(settings.DEBUG or settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP)


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str) -> None:
    """HTTPS to public addresses only; plain HTTP to this machine for development and tests.

    Webhook URLs come from API clients: without this check an organization could make the
    worker call internal services (SSRF). A name that does not resolve yet is accepted (its
    DNS may not be set up); each delivery resolves it again and refuses until it resolves,
    and only to public addresses (`sozu.webhooks.transport`).
    """
    if len(url) > WebhookEndpoint.URL_MAX_LENGTH:
        raise SozuError("webhook_url_invalid")  # PostgreSQL would refuse it with a 500
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise SozuError("webhook_url_invalid") from None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise SozuError("webhook_url_invalid")
    try:
        port = parts.port or 443
    except ValueError:
        raise SozuError("webhook_url_invalid") from None
    try:
        transport.checked_addresses(host, port, allow_loopback=_loopback_http_allowed())
    except transport.HostUnresolvable:
        pass
    except transport.DeliveryRefused:
        raise SozuError("webhook_url_invalid") from None
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(host) and _loopback_http_allowed():
        return
    raise SozuError("webhook_url_invalid")


def _check_endpoint_room(organization_id: int) -> None:
    """Refuse another active endpoint past the cap; call with the organization row locked."""
    allowed = int(_setting(MAX_ENDPOINTS_PER_ORG))
    active = WebhookEndpoint.objects.filter(organization_id=organization_id, active=True)
    if active.count() >= allowed:
        raise SozuError("webhook_endpoints_limit", max=allowed)


def _new_secret() -> tuple[str, str]:
    """A new signing secret and its ciphertext under the master key."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, master_box().encrypt(secret)


def webhook_endpoint_create(
    *, organization: Organization, url: str, actor: str
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint for the organization's events; the secret is returned once.

    The secret is stored encrypted with the master key because every delivery is signed with
    it; it is never logged, audited or shown again. An organization has at most
    `SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG` active endpoints (each event is sent to every one).
    """
    url = url.strip()
    _check_url(url)
    secret, ciphertext = _new_secret()
    with transaction.atomic():
        # The organization row serializes concurrent creations against the cap.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        _check_endpoint_room(organization.pk)
        endpoint = WebhookEndpoint.objects.create(
            organization=organization, url=url, secret_ciphertext=ciphertext
        )
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor, "webhook_endpoint.created", "webhook_endpoint", endpoint.pk, {"url": url}
            ),
        )
    return endpoint, secret


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor: str) -> WebhookEndpoint:
    """Send to a disabled endpoint again, from now on.

    Its URL is checked again (the rules, or its DNS, may have changed since it was created),
    and it counts against the organization's cap. Events dropped while it was disabled are
    not sent.
    """
    _check_url(endpoint.url)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=endpoint.organization_id).first()
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.active:
            raise SozuError(
                "invalid_transition",
                object="webhook endpoint",
                status="enabled",
                action="enabled",
            )
        _check_endpoint_room(locked.organization_id)
        locked.active = True
        locked.save(update_fields=["active"])
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor,
                "webhook_endpoint.enabled",
                "webhook_endpoint",
                locked.pk,
                {"url": locked.url},
            ),
        )
    return locked


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: str
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret for the endpoint, returned once; the old one stops signing at once.

    There is no grace period with both secrets: a leaked secret must die when it is replaced.
    Events are retried for two days, so a receiver that refuses (non-2xx) the deliveries signed
    with the new secret until it is configured with it loses nothing. A delivery already being
    sent while the secret is rotated still carries the old signature.
    """
    secret, ciphertext = _new_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.secret_ciphertext = ciphertext
        locked.save(update_fields=["secret_ciphertext"])
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor,
                "webhook_endpoint.secret_rotated",
                "webhook_endpoint",
                locked.pk,
                {"url": locked.url},
            ),
        )
    return locked, secret


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, actor: str) -> WebhookEndpoint:
    """Stop sending to the endpoint: no new events, and its undelivered ones are dropped."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.active:
            raise SozuError(
                "invalid_transition",
                object="webhook endpoint",
                status="disabled",
                action="disabled",
            )
        locked.active = False
        locked.save(update_fields=["active"])
        dropped = WebhookDelivery.objects.filter(
            endpoint=locked, status=WebhookDelivery.Status.PENDING
        ).update(status=WebhookDelivery.Status.FAILED, last_error="endpoint disabled")
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor,
                "webhook_endpoint.disabled",
                "webhook_endpoint",
                locked.pk,
                {"url": locked.url, "dropped_deliveries": dropped},
            ),
        )
    return locked


# --- events (the outbox) -----------------------------------------------------------------
def webhook_event_emit(*, organization_id: int, event_type: str, payload: dict[str, Any]) -> None:
    """Queue one event for every active endpoint of the organization (same DB transaction)."""
    webhook_events_emit(organization_id=organization_id, events=[(event_type, payload)])


def webhook_events_emit(
    *, organization_id: int, events: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    endpoints = list(
        WebhookEndpoint.objects.filter(organization_id=organization_id, active=True).values_list(
            "pk", flat=True
        )
    )
    if not endpoints:
        return
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for event_type, payload in events:
        event_id = f"evt_{uuid.uuid4().hex}"
        body = {"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": payload}
        rows.extend(
            WebhookDelivery(
                endpoint_id=pk,
                event_id=event_id,
                event_type=event_type,
                payload=body,
                next_attempt_at=now,
            )
            for pk in endpoints
        )
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000)


# --- delivery ----------------------------------------------------------------------------
#: A send still running this long after its deadline is given up (e.g. a resolver that hangs).
_SEND_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class _Claim:
    """One delivery this worker has claimed for attempt number `attempt`."""

    delivery_id: int
    endpoint_id: int
    organization_id: int
    attempt: int
    url: str
    secret_ciphertext: str
    event_id: str
    event_type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Answer:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _claim_next(
    *, now: datetime, skip_endpoints: set[int], skip_orgs: set[int] | None = None
) -> _Claim | None:
    """Lock one due delivery (skipping rows other workers hold) and lease it to this worker."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                endpoint__active=True,
            )
            .exclude(endpoint_id__in=skip_endpoints)
            .exclude(endpoint__organization_id__in=skip_orgs or set())
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if delivery is None:
            return None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
        )
        endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    return _Claim(
        delivery_id=delivery.pk,
        endpoint_id=endpoint.pk,
        organization_id=endpoint.organization_id,
        attempt=delivery.attempts + 1,
        url=endpoint.url,
        secret_ciphertext=endpoint.secret_ciphertext,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
    )


def _send(claim: _Claim) -> _Answer:
    """POST the signed event. Never raises for network trouble; touches no database."""
    try:
        secret = master_box().decrypt(claim.secret_ciphertext)
    except SecretBoxError:
        return _Answer(None, "the endpoint secret does not decrypt with the master key")
    body = json.dumps(
        claim.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    stamp = int(time.time())  # the receiver's replay window is about wall-clock time
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Sozu-Webhooks/1",
        "Sozu-Event-Id": claim.event_id,
        "Sozu-Event-Type": claim.event_type,
        "Sozu-Timestamp": str(stamp),
        "Sozu-Signature": webhook_signature_header(secret, stamp, body),
    }
    try:
        answer = transport.post(
            claim.url,
            body,
            headers,
            deadline_seconds=float(_setting(DEADLINE_SECONDS)),
            max_bytes=int(_setting(MAX_ANSWER_BYTES)),
            allow_loopback=_loopback_http_allowed(),
        )
    except transport.DeliveryRefused as refused:
        return _Answer(None, f"not sent: {refused}"[:300])
    except transport.DeliveryFailed as failed:
        return _Answer(None, str(failed)[:300])
    error = "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    return _Answer(answer.status, error)


def _send_into(claim: _Claim, answers: queue.Queue[tuple[_Claim, _Answer]]) -> None:
    try:
        answer = _send(claim)
    except Exception as exc:  # a bug must not leave the run waiting for this delivery
        log.exception("webhook send crashed", extra={"delivery_id": claim.delivery_id})
        answer = _Answer(None, f"internal error: {type(exc).__name__}")
    answers.put((claim, answer))


def _record(claim: _Claim, answer: _Answer, *, at: datetime) -> None:
    """Store the outcome, unless another worker re-claimed the row after our lease ran out."""
    fields: dict[str, Any] = {"last_status_code": answer.status_code, "last_error": answer.error}
    if answer.ok:
        fields |= {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": at}
    elif claim.attempt >= MAX_ATTEMPTS:
        fields |= {"status": WebhookDelivery.Status.FAILED}
    else:
        fields |= {"next_attempt_at": at + BACKOFF[claim.attempt - 1]}
    WebhookDelivery.objects.filter(
        pk=claim.delivery_id, status=WebhookDelivery.Status.PENDING, attempts=claim.attempt
    ).update(**fields)
    context = {
        "delivery_id": claim.delivery_id,
        "endpoint_id": claim.endpoint_id,
        "event_id": claim.event_id,
        "event_type": claim.event_type,
        "attempt": claim.attempt,
        "status_code": answer.status_code,
    }
    if answer.ok:
        log.info("webhook delivered", extra=context)
    elif claim.attempt >= MAX_ATTEMPTS:
        log.error("webhook given up", extra={**context, "error": answer.error})
    else:
        log.warning("webhook attempt failed", extra={**context, "error": answer.error})


def _release(claims: Iterable[_Claim], *, at: datetime) -> None:
    """Claims whose send was abandoned (the worker stops) are due again at once elsewhere."""
    for claim in claims:
        WebhookDelivery.objects.filter(
            pk=claim.delivery_id, status=WebhookDelivery.Status.PENDING, attempts=claim.attempt
        ).update(next_attempt_at=at, last_error="interrupted: the worker stopped")


def webhook_deliver_due(
    *, limit: int = 100, now: datetime | None = None, stop: threading.Event | None = None
) -> int:
    """Send up to `limit` due deliveries, several at once; the number of attempts made.

    `now` is the scheduling clock (which deliveries are due, when the next retry is); it
    defaults to the current time. Each send runs in its own daemon thread, bounded by the
    transport's deadline and byte cap, and touches no database; this function claims and
    records. At most one send per endpoint is in flight (its events go out in order), at most
    `SOZU_WEBHOOK_CONCURRENCY_PER_ORG` per organization and `SOZU_WEBHOOK_CONCURRENCY` in all,
    so one tenant's slow receivers cannot use up the run. An endpoint that fails is skipped for
    the rest of the run. Once `stop` is set nothing more is claimed and the function returns
    within a fraction of a second: sends still in flight are abandoned (at least once: their
    claims are released, and another run sends them again).
    """
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
    )
    if not due.exists():  # the usual case, answered without taking a write lock (SQLite)
        return 0
    in_all = max(1, int(_setting(CONCURRENCY)))
    per_org = max(1, int(_setting(CONCURRENCY_PER_ORG)))
    patience = float(_setting(DEADLINE_SECONDS)) + _SEND_GRACE_SECONDS
    answers: queue.Queue[tuple[_Claim, _Answer]] = queue.Queue()
    sending: dict[int, tuple[_Claim, float]] = {}  # delivery id → (claim, when to give up)
    failing: set[int] = set()
    attempted = 0
    nothing_to_claim = False
    while True:
        stopping = stop is not None and stop.is_set()
        while not (stopping or nothing_to_claim) and attempted < limit and len(sending) < in_all:
            claims = [c for c, _ in sending.values()]
            orgs = Counter(c.organization_id for c in claims)
            claim = _claim_next(
                now=now or timezone.now(),
                skip_endpoints=failing | {c.endpoint_id for c in claims},
                skip_orgs={org for org, n in orgs.items() if n >= per_org},
            )
            if claim is None:
                nothing_to_claim = True  # until a send ends and frees its endpoint
                break
            attempted += 1
            sending[claim.delivery_id] = (claim, time.monotonic() + patience)
            threading.Thread(
                target=_send_into, args=(claim, answers), name="sozu-webhook", daemon=True
            ).start()
        if stopping:
            _release([c for c, _ in sending.values()], at=timezone.now())
            break
        if not sending:
            break
        try:
            claim, answer = answers.get(timeout=0.1)
        except queue.Empty:
            for delivery_id, (stuck, give_up) in list(sending.items()):
                if time.monotonic() > give_up:  # its thread is abandoned; its answer ignored
                    del sending[delivery_id]
                    _record(
                        stuck,
                        _Answer(None, "no answer within the deadline"),
                        at=now or timezone.now(),
                    )
                    failing.add(stuck.endpoint_id)
                    nothing_to_claim = False
            continue
        if sending.pop(claim.delivery_id, None) is None:
            continue  # given up on already
        _record(claim, answer, at=now or timezone.now())
        nothing_to_claim = False
        if not answer.ok:
            failing.add(claim.endpoint_id)
    return attempted
