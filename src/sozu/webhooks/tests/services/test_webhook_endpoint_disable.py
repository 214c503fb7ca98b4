"""An organization turns an endpoint off: from then on it receives nothing."""

from __future__ import annotations

import pytest

from sozu.audit.models import AuditEvent
from sozu.errors import SozuError
from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import (
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_event_emit,
)
from sozu.webhooks.tests.receiver import Receiver


@pytest.mark.django_db
def test_a_disabled_endpoint_gets_nothing(org: Organization, receiver: Receiver) -> None:
    endpoint, _ = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.executing", payload={})

    webhook_endpoint_disable(endpoint=endpoint, actor="user:7")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

    assert webhook_deliver_due() == 0
    assert receiver.requests == []
    endpoint.refresh_from_db()
    assert not endpoint.active
    # The event queued before disabling is dropped, the one after was never queued.
    [dropped] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert dropped.event_type == "batch.executing"
    assert dropped.status == WebhookDelivery.Status.FAILED
    assert dropped.last_error == "endpoint disabled"
    audit = AuditEvent.objects.get(organization=org, action="webhook_endpoint.disabled")
    assert audit.actor == "user:7"
    assert audit.data == {"url": receiver.url, "dropped_deliveries": 1}


@pytest.mark.django_db
def test_the_organizations_other_endpoints_keep_receiving(
    org: Organization, receiver: Receiver
) -> None:
    old, _ = webhook_endpoint_create(organization=org, url="https://old.example.org/h", actor="cli")
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_endpoint_disable(endpoint=old, actor="cli")

    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

    assert webhook_deliver_due() == 1
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_disabling_twice_is_refused(org: Organization) -> None:
    endpoint, _ = webhook_endpoint_create(
        organization=org, url="https://ong.example.org/h", actor="cli"
    )
    webhook_endpoint_disable(endpoint=endpoint, actor="cli")

    with pytest.raises(SozuError) as refused:
        webhook_endpoint_disable(endpoint=endpoint, actor="cli")

    assert refused.value.code == "invalid_transition"
    assert AuditEvent.objects.filter(action="webhook_endpoint.disabled").count() == 1
