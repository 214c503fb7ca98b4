"""Several workers deliver at once: each event reaches the receiver once (rows are claimed)."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import webhook_deliver_due, webhook_endpoint_create, webhook_events_emit
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.receiver import Receiver


def _worker_run() -> int:
    try:
        return webhook_deliver_due(limit=1000)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_four_workers_deliver_each_event_exactly_once(receiver: Receiver) -> None:
    org: Organization = OrganizationFactory.create()
    webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
    webhook_events_emit(
        organization_id=org.pk,
        events=[("payout.paid", {"payout_id": n}) for n in range(60)],
    )

    with ThreadPoolExecutor(max_workers=4) as pool:
        attempts = sum(pool.map(lambda _: _worker_run(), range(4)))

    assert attempts == 60
    sent = Counter(json.loads(r.body)["data"]["payout_id"] for r in receiver.requests)
    assert sent == Counter(range(60))
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
