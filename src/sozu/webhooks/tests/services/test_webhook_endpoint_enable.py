"""An organization turns a disabled endpoint back on: new events reach it again."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.audit.models import AuditEvent
from sozu.errors import SozuError
from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import (
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_event_emit,
)
from sozu.webhooks.tests.receiver import Receiver


@pytest.mark.django_db
def test_a_re_enabled_endpoint_receives_new_events(org: Organization, receiver: Receiver) -> None:
    endpoint, _ = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_endpoint_disable(endpoint=endpoint, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.paused", payload={})

    enabled = webhook_endpoint_enable(endpoint=endpoint, actor="user:7")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

    assert enabled.active
    endpoint.refresh_from_db()
    assert endpoint.active
    assert webhook_deliver_due() == 1
    # Only the event after enabling: the one emitted while disabled was never queued.
    assert [r.headers["Sozu-Event-Type"] for r in receiver.requests] == ["batch.completed"]
    audit = AuditEvent.objects.get(organization=org, action="webhook_endpoint.enabled")
    assert audit.actor == "user:7" and audit.object_id == str(endpoint.pk)
    assert audit.data == {"url": receiver.url}


@pytest.mark.django_db
def test_enabling_an_active_endpoint_is_refused(org: Organization) -> None:
    endpoint, _ = webhook_endpoint_create(organization=org, url="https://a.example/h", actor="cli")

    with pytest.raises(SozuError) as refused:
        webhook_endpoint_enable(endpoint=endpoint, actor="cli")

    assert refused.value.code == "invalid_transition"
    assert refused.value.message == "No se puede activar un endpoint de webhook que está activo."
    assert not AuditEvent.objects.filter(action="webhook_endpoint.enabled").exists()


@pytest.mark.django_db
def test_an_endpoint_whose_url_is_no_longer_acceptable_stays_disabled(
    org: Organization, settings: SettingsWrapper
) -> None:
    endpoint, _ = webhook_endpoint_create(
        organization=org, url="http://127.0.0.1:8081/h", actor="cli"
    )
    webhook_endpoint_disable(endpoint=endpoint, actor="cli")
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False  # as in production
    settings.DEBUG = False

    with pytest.raises(SozuError) as refused:
        webhook_endpoint_enable(endpoint=endpoint, actor="cli")

    assert refused.value.code == "webhook_url_invalid"
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert not AuditEvent.objects.filter(action="webhook_endpoint.enabled").exists()


@pytest.mark.django_db
def test_enabling_past_the_cap_is_refused(org: Organization, settings: SettingsWrapper) -> None:
    settings.SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG = 1
    old, _ = webhook_endpoint_create(organization=org, url="https://a.example/h", actor="cli")
    webhook_endpoint_disable(endpoint=old, actor="cli")
    webhook_endpoint_create(organization=org, url="https://b.example/h", actor="cli")

    with pytest.raises(SozuError) as refused:
        webhook_endpoint_enable(endpoint=old, actor="cli")

    assert refused.value.code == "webhook_endpoints_limit"
    old.refresh_from_db()
    assert not old.active
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    assert WebhookDelivery.objects.filter(endpoint=old).count() == 0
