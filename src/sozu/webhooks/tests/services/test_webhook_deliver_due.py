"""The NGO's system receives signed payout events, retried with backoff until it answers 2xx."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from pytest_django.fixtures import Settings as SettingsWrapper
from stellar_sdk import Keypair

from sozu.audit.models import AuditEvent
from sozu.disbursements.models import Payout
from sozu.disbursements.services.events import emit_payouts_status
from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery, WebhookEndpoint
from sozu.webhooks.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_event_emit,
)
from sozu.webhooks.signing import webhook_signature_verify
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.receiver import Receiver, unreachable_url

#: A fixed instant for the backoff tests; the `clock` fixture freezes time there, so the code
#: under test (which reads the clock) and the assertions agree whatever today's date is.
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _paid_payout(org: Organization) -> Payout:
    return Payout.objects.create(
        organization=org,
        destination=Keypair.random().public_key,
        amount=Decimal("125.5000000"),
        status=Payout.Status.PAID,
        tx_hash="ab" * 32,
        ledger=4242,
        created_by="test",
    )


@pytest.mark.django_db
def test_a_paid_payout_reaches_the_receiver_signed(org: Organization, receiver: Receiver) -> None:
    endpoint, secret = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    payout = _paid_payout(org)
    emit_payouts_status([payout])

    sent = webhook_deliver_due()

    assert sent == 1
    [request] = receiver.requests
    assert request.path == "/hooks/sozu"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Sozu-Event-Type"] == "payout.paid"
    assert request.headers["Sozu-Event-Id"].startswith("evt_")
    assert webhook_signature_verify(secret, request.headers["Sozu-Signature"], request.body)
    stamp = request.headers["Sozu-Signature"].split(",")[0]
    assert stamp == f"t={request.headers['Sozu-Timestamp']}"
    event = json.loads(request.body)
    assert event["id"] == request.headers["Sozu-Event-Id"]
    assert event["type"] == "payout.paid"
    assert event["data"] == {
        "payout_id": payout.pk,
        "batch_id": None,
        "status": "paid",
        "destination": payout.destination,
        "amount": "125.5000000",
        "tx_hash": "ab" * 32,
        "outer_tx_hash": "ab" * 32,  # not fee-bumped: the hash Horizon shows is the same
        "ledger": 4242,
        "failure_code": None,
    }
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    assert delivery.delivered_at is not None
    assert webhook_deliver_due() == 0  # nothing is sent twice
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_signature_made_with_another_secret_does_not_verify(
    org: Organization, receiver: Receiver
) -> None:
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    _, other_secret = webhook_endpoint_create(
        organization=OrganizationFactory.create(), url="https://elsewhere.example/h", actor="cli"
    )
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={"a": 1})

    webhook_deliver_due()

    [request] = receiver.requests
    assert not webhook_signature_verify(
        other_secret, request.headers["Sozu-Signature"], request.body
    )


@pytest.mark.django_db
def test_after_a_500_the_event_is_retried_with_backoff(
    clock: time_machine.Traveller, org: Organization, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    endpoint, secret = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={"b": 7})

    assert webhook_deliver_due(now=T0) == 1

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at == T0 + timedelta(seconds=10)

    assert webhook_deliver_due(now=T0 + timedelta(seconds=9)) == 0  # not due yet
    assert len(receiver.requests) == 1

    assert webhook_deliver_due(now=T0 + timedelta(seconds=10)) == 1

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    first, second = receiver.requests
    assert first.headers["Sozu-Event-Id"] == second.headers["Sozu-Event-Id"]
    assert first.body == second.body
    assert webhook_signature_verify(secret, second.headers["Sozu-Signature"], second.body)


@pytest.mark.django_db
def test_after_the_last_attempt_the_event_is_given_up(
    clock: time_machine.Traveller, org: Organization, receiver: Receiver
) -> None:
    receiver.fail_first = 1000
    endpoint, _ = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="payout.failed", payload={"c": 1})
    now = T0
    waits = []

    for _ in range(MAX_ATTEMPTS):
        assert webhook_deliver_due(now=now) == 1
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 10
    assert delivery.last_status_code == 500
    assert waits[:-1] == list(BACKOFF)
    assert [w.total_seconds() for w in BACKOFF] == [
        10,
        30,
        120,
        600,
        3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        24 * 3600,
    ]
    assert webhook_deliver_due(now=now + timedelta(days=30)) == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


@pytest.mark.django_db
def test_an_unreachable_receiver_is_retried(
    clock: time_machine.Traveller, org: Organization
) -> None:
    endpoint, _ = webhook_endpoint_create(organization=org, url=unreachable_url(), actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.paused", payload={})

    assert webhook_deliver_due(now=T0) == 1

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectionError")
    assert delivery.next_attempt_at == T0 + timedelta(seconds=10)


@pytest.mark.django_db
def test_a_failing_receiver_does_not_hold_up_another_one(
    clock: time_machine.Traveller, org: Organization, receiver: Receiver
) -> None:
    broken, _ = webhook_endpoint_create(organization=org, url=unreachable_url(), actor="cli")
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    for n in range(3):
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={"n": n})

    attempts = webhook_deliver_due(now=T0)

    # The broken endpoint is tried once per run; the working one gets all three events.
    assert attempts == 4
    assert [json.loads(r.body)["data"]["n"] for r in receiver.requests] == [0, 1, 2]
    assert WebhookDelivery.objects.filter(endpoint=broken, attempts=0).count() == 2


@pytest.mark.django_db
def test_each_organization_receives_only_its_own_events(
    org: Organization, receiver: Receiver
) -> None:
    other = Receiver().start()
    try:
        webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
        webhook_endpoint_create(
            organization=OrganizationFactory.create(), url=other.url, actor="cli"
        )
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        assert webhook_deliver_due() == 1
    finally:
        other.stop()

    assert len(receiver.requests) == 1
    assert other.requests == []


@pytest.mark.django_db
def test_the_secret_never_appears_in_logs_or_stored_state(
    clock: time_machine.Traveller,
    org: Organization,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.fail_first = MAX_ATTEMPTS
    _, secret = webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    now = T0
    for _ in range(MAX_ATTEMPTS):  # every kind of outcome: failures, then giving up
        webhook_deliver_due(now=now)
        now += timedelta(days=2)
    webhook_endpoint_create(organization=org, url=unreachable_url(), actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    webhook_deliver_due(now=now)

    assert "webhook given up" in caplog.text
    assert secret not in caplog.text
    for model in (WebhookDelivery, WebhookEndpoint, AuditEvent):
        stored = json.dumps(list(model.objects.values()), default=str)
        assert secret not in stored
    for request in receiver.requests:  # the receiver gets a signature, not the key
        assert secret not in json.dumps(request.headers) and secret.encode() not in request.body


@pytest.mark.django_db
def test_nothing_is_sent_once_the_endpoint_points_into_a_private_network(
    org: Organization, receiver: Receiver, settings: SettingsWrapper
) -> None:
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    emit_payouts_status([_paid_payout(org)])
    # Loopback is no longer acceptable (as in production): the address is checked again.
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    settings.DEBUG = False

    webhook_deliver_due()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error == "not sent: 127.0.0.1 is not a public address"
