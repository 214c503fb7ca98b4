"""One tenant's slow, huge or numerous receivers cannot stall the others or the worker."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import (
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_event_emit,
)
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.network import FakeNetwork
from sozu.webhooks.tests.receiver import Receiver

#: Generous: only reached when a delivery hangs, which is the failure these tests detect.
HANG_SECONDS = 20.0


@contextmanager
def _receiver(**options: object) -> Iterator[Receiver]:
    """A misbehaving receiver that is stopped after HANG_SECONDS at the latest, so that a
    delivery that would hang on it forever ends and the test fails instead of hanging."""
    r = Receiver(**options).start()  # type: ignore[arg-type]
    guard = threading.Timer(HANG_SECONDS, r.stop)
    guard.start()
    try:
        yield r
    finally:
        guard.cancel()
        r.stop()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.django_db
def test_a_receiver_that_trickles_its_answer_is_cut_at_the_deadline(
    org: Organization, settings: SettingsWrapper
) -> None:
    settings.SOZU_WEBHOOK_DEADLINE_SECONDS = 1
    with _receiver(mode="trickle", trickle_seconds=0.05) as slow:
        webhook_endpoint_create(organization=org, url=slow.url, actor="cli")
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        assert webhook_deliver_due() == 1

        # Each byte came well within any per-read timeout; the deadline is for the whole answer.
        _wait_for(lambda: slow.client_hung_up)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING  # retried later, with backoff
    assert delivery.last_status_code is None
    assert delivery.last_error == "no complete answer within 1 s"


@pytest.mark.django_db
def test_a_huge_answer_is_read_only_up_to_the_cap(
    org: Organization, settings: SettingsWrapper
) -> None:
    settings.SOZU_WEBHOOK_MAX_ANSWER_BYTES = 4096
    with _receiver(mode="huge") as huge:
        webhook_endpoint_create(organization=org, url=huge.url, actor="cli")
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        assert webhook_deliver_due() == 1

        # Sozu hung up while the endless body was still being sent.
        _wait_for(lambda: huge.client_hung_up)
    delivery = WebhookDelivery.objects.get()
    # The status line is the answer: 200 acknowledges the event; the rest was not read.
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.last_status_code == 200


def _deliver_in_background() -> threading.Thread:
    def run() -> None:
        try:
            webhook_deliver_due()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_an_organization_sends_at_most_its_share_at_once_and_others_go_ahead(
    settings: SettingsWrapper,
) -> None:
    settings.SOZU_WEBHOOK_CONCURRENCY_PER_ORG = 2
    busy, other = OrganizationFactory.create(), OrganizationFactory.create()
    with _receiver(mode="hold") as held, _receiver() as fast:
        for n in range(3):  # three endpoints of one organization, all answering slowly
            webhook_endpoint_create(organization=busy, url=f"{held.url}?e={n}", actor="cli")
        webhook_endpoint_create(organization=other, url=fast.url, actor="cli")
        webhook_event_emit(organization_id=busy.pk, event_type="batch.completed", payload={})
        webhook_event_emit(organization_id=other.pk, event_type="batch.completed", payload={})

        run = _deliver_in_background()
        _wait_for(lambda: len(fast.requests) == 1)  # the other organization is not held up
        _wait_for(lambda: held.active == 2)
        waiting = WebhookDelivery.objects.filter(endpoint__organization=busy, attempts=0)
        assert waiting.count() == 1  # the third waits for a free slot of its organization

        held.release.set()
        run.join(HANG_SECONDS)

    assert not run.is_alive()
    assert held.max_active == 2
    assert len(held.requests) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.django_db(transaction=True)
def test_a_run_sends_at_most_the_global_bound_at_once(settings: SettingsWrapper) -> None:
    settings.SOZU_WEBHOOK_CONCURRENCY = 2
    orgs = OrganizationFactory.create_batch(3)
    with _receiver(mode="hold") as held:
        for org in orgs:
            webhook_endpoint_create(organization=org, url=held.url, actor="cli")
            webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        run = _deliver_in_background()
        _wait_for(lambda: held.active == 2)
        assert WebhookDelivery.objects.filter(attempts=0).count() == 1

        held.release.set()
        run.join(HANG_SECONDS)

    assert not run.is_alive()
    assert held.max_active == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.django_db
def test_a_receiver_that_never_completes_the_tls_handshake_is_cut_at_the_deadline(
    org: Organization, settings: SettingsWrapper, fake_network: FakeNetwork
) -> None:
    settings.SOZU_WEBHOOK_DEADLINE_SECONDS = 1
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, then says nothing
        fake_network.resolve("mute.ong.example", ["93.184.215.14"])
        fake_network.routes[("93.184.215.14", 443)] = silent.getsockname()
        webhook_endpoint_create(organization=org, url="https://mute.ong.example/h", actor="cli")
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        assert webhook_deliver_due() == 1

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error == "no complete answer within 1 s"


@pytest.mark.django_db
def test_headers_past_the_cap_are_not_an_answer(
    org: Organization, settings: SettingsWrapper, receiver: Receiver
) -> None:
    settings.SOZU_WEBHOOK_MAX_ANSWER_BYTES = 4096
    receiver.headers = {"X-Padding": "a" * 8000}  # one header line twice the cap
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

    assert webhook_deliver_due() == 1

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error == "the answer is larger than 4096 bytes"
