"""Queuing webhook events (inside the caller's transaction) and delivering them signed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from sozu.webhooks.models import WebhookDelivery, WebhookEndpoint


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
