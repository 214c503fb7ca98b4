"""An organization replaces a webhook secret (e.g. leaked): from then on only the new one signs."""

from __future__ import annotations

import json
import logging

import pytest

from sozu.audit.models import AuditEvent
from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import (
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_rotate_secret,
    webhook_event_emit,
)
from sozu.webhooks.signing import webhook_signature_verify
from sozu.webhooks.tests.receiver import Receiver


@pytest.mark.django_db
def test_after_rotation_deliveries_are_signed_with_the_new_secret_only(
    org: Organization, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint, old = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.executing", payload={})
    webhook_deliver_due()

    rotated, new = webhook_endpoint_rotate_secret(endpoint=endpoint, actor="user:3")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    webhook_deliver_due()

    assert new.startswith("whsec_") and new != old
    assert rotated.pk == endpoint.pk and rotated.active
    before, after = receiver.requests
    assert webhook_signature_verify(old, before.headers["Sozu-Signature"], before.body)
    assert webhook_signature_verify(new, after.headers["Sozu-Signature"], after.body)
    assert not webhook_signature_verify(old, after.headers["Sozu-Signature"], after.body)
    assert after.headers["Sozu-Signature"].count("v1=") == 1  # no grace period: one signature
    audit = AuditEvent.objects.get(organization=org, action="webhook_endpoint.secret_rotated")
    assert audit.actor == "user:3" and audit.object_id == str(endpoint.pk)
    assert audit.data == {"url": receiver.url}
    stored = json.dumps(
        [list(WebhookEndpoint.objects.values()), list(AuditEvent.objects.values())], default=str
    )
    assert new not in stored and old not in stored
    assert new not in caplog.text


@pytest.mark.django_db
def test_a_disabled_endpoint_can_have_its_secret_rotated(org: Organization) -> None:
    endpoint, old = webhook_endpoint_create(
        organization=org, url="https://a.example/h", actor="cli"
    )
    webhook_endpoint_disable(endpoint=endpoint, actor="cli")

    rotated, new = webhook_endpoint_rotate_secret(endpoint=endpoint, actor="cli")

    assert not rotated.active
    assert new != old
