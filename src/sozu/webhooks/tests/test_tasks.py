"""A running disbursement worker delivers queued webhook events in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.disbursements.worker import Worker
from sozu.webhooks import tasks
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import webhook_endpoint_create, webhook_event_emit
from sozu.webhooks.tasks import webhooks_running
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.receiver import Receiver


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_events_at_most_one_run_a_second(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(tasks, "monotonic", lambda: clock[0])
    org = OrganizationFactory.create()
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    worker = Worker("w-webhooks", threads=2)
    try:
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
        worker.tick()  # no payment work: only the webhook run starts
        _wait_for(lambda: not WebhookDelivery.objects.filter(status="pending").exists())
        _wait_for(lambda: not webhooks_running(worker.pool))  # it found nothing more and ended

        webhook_event_emit(organization_id=org.pk, event_type="batch.failed", payload={})
        clock[0] += 0.9
        worker.tick()  # within the same second: no new run
        assert not webhooks_running(worker.pool)
        assert len(receiver.requests) == 1

        clock[0] += 0.1
        worker.tick()
        _wait_for(lambda: len(receiver.requests) == 2)
    finally:
        worker.drain()

    assert [r.headers["Sozu-Event-Type"] for r in receiver.requests] == [
        "batch.completed",
        "batch.failed",
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.django_db(transaction=True)
def test_stopping_the_worker_never_waits_for_a_receiver(settings: SettingsWrapper) -> None:
    settings.SOZU_WEBHOOK_DEADLINE_SECONDS = 600  # the receiver could keep us for 10 minutes
    slow = Receiver(mode="trickle").start()
    org = OrganizationFactory.create()
    webhook_endpoint_create(organization=org, url=slow.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    worker = Worker("w-stopping", threads=2)

    def run() -> None:  # `sozu worker`'s loop, in this process
        try:
            worker.run()
        finally:
            connection.close()

    running = threading.Thread(target=run, daemon=True)
    try:
        running.start()
        _wait_for(lambda: len(slow.requests) == 1)  # the answer is trickling in

        worker.stop_event.set()  # what SIGTERM does in `sozu worker`
        running.join(timeout=15)

        assert not running.is_alive()
    finally:
        slow.stop()
    # The interrupted delivery is due again at once, for the next worker to send.
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error == "interrupted: the worker stopped"
    assert delivery.next_attempt_at <= timezone.now()
    assert not webhooks_running(worker.pool)


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
