"""Events are an outbox: they exist exactly when the change they report was committed."""

from __future__ import annotations

import pytest
from django.db import transaction

from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import (
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_event_emit,
    webhook_events_emit,
)
from sozu.webhooks.tests.receiver import Receiver


class _Crash(Exception):
    pass


@pytest.mark.django_db
def test_an_event_emitted_in_a_rolled_back_transaction_is_never_sent(
    org: Organization, receiver: Receiver
) -> None:
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")

    with pytest.raises(_Crash), transaction.atomic():
        webhook_event_emit(organization_id=org.pk, event_type="payout.paid", payload={})
        raise _Crash  # e.g. the payout update after it failed

    assert not WebhookDelivery.objects.exists()
    assert webhook_deliver_due() == 0
    assert receiver.requests == []


@pytest.mark.django_db
def test_an_event_is_queued_once_per_active_endpoint_with_one_id(org: Organization) -> None:
    webhook_endpoint_create(organization=org, url="https://a.example.org/h", actor="cli")
    webhook_endpoint_create(organization=org, url="https://b.example.org/h", actor="cli")

    webhook_events_emit(
        organization_id=org.pk,
        events=[("payout.paid", {"payout_id": 1}), ("payout.failed", {"payout_id": 2})],
    )

    rows = list(WebhookDelivery.objects.order_by("event_type", "endpoint_id"))
    assert [(r.event_type, r.status, r.attempts) for r in rows] == [
        ("payout.failed", "pending", 0),
        ("payout.failed", "pending", 0),
        ("payout.paid", "pending", 0),
        ("payout.paid", "pending", 0),
    ]
    assert rows[0].event_id == rows[1].event_id != rows[2].event_id == rows[3].event_id


@pytest.mark.django_db
def test_an_organization_without_endpoints_queues_nothing(org: Organization) -> None:
    webhook_event_emit(organization_id=org.pk, event_type="payout.paid", payload={})

    assert not WebhookDelivery.objects.exists()
