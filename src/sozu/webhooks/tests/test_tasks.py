"""A running disbursement worker delivers queued webhook events in the background."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sozu.disbursements.worker import Worker
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import webhook_endpoint_create, webhook_event_emit
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.receiver import Receiver


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_events_at_most_one_run_a_second(receiver: Receiver) -> None:
    org = OrganizationFactory.create()
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    worker = Worker("w-webhooks", threads=2)
    try:
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
        worker.tick()  # no payment work: only the webhook run starts
        _wait_for(lambda: not WebhookDelivery.objects.filter(status="pending").exists())
        time.sleep(0.2)  # let that run find nothing more and end

        webhook_event_emit(organization_id=org.pk, event_type="batch.failed", payload={})
        worker.tick()  # within the same second: no new run
        time.sleep(0.3)
        assert len(receiver.requests) == 1

        time.sleep(1.0)
        worker.tick()
        _wait_for(lambda: len(receiver.requests) == 2)
    finally:
        worker.drain()

    assert [r.headers["Sozu-Event-Type"] for r in receiver.requests] == [
        "batch.completed",
        "batch.failed",
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
