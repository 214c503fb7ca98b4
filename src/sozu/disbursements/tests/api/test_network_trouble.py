"""When the network is down or slow, a client that retries with its key never pays twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from tests.localnet_process import LocalNet

from sozu.disbursements.models import IdempotencyRecord, PaymentTransaction, Payout
from sozu.disbursements.tests.api.helpers import post_json, transaction_on_network, usdc_balance
from sozu.disbursements.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def faulty(net_settings: LocalNet) -> Iterator[LocalNet]:
    """The session's network, with faults cleared afterwards whatever happens."""
    try:
        yield net_settings
    finally:
        net_settings.clear_faults()


def test_when_the_network_is_down_the_same_key_can_be_retried(faulty, api_client, recipient):
    dest = recipient()
    before = usdc_balance(faulty, dest)
    body = {"destination": dest, "amount": "4"}
    key = {"Idempotency-Key": "pago-caido"}
    faulty.set_faults(unavailable=1.0, gets=True)

    down = post_json(api_client, "/api/v1/payouts", body, **key)

    assert down.status_code == 503
    assert down.json()["code"] == "network_unavailable"
    # Nothing was done, so nothing was remembered: the key is free for the retry.
    assert Payout.objects.count() == IdempotencyRecord.objects.count() == 0

    faulty.clear_faults()
    back = post_json(api_client, "/api/v1/payouts", body, **key)

    assert back.status_code == 200
    assert back.json()["status"] == "paid"
    assert usdc_balance(faulty, dest) - before == Decimal("4")


def test_a_lost_answer_is_accepted_then_settled_by_the_worker(
    faulty, api_client, recipient, settings
):
    settings.SOZU_PAYOUT_WAIT_SECONDS = 0.5
    dest = recipient()
    before = usdc_balance(faulty, dest)
    body = {"destination": dest, "amount": "6", "memo": "cuota 2"}
    key = {"Idempotency-Key": "pago-lento"}
    # The network includes the payment but the answer never comes back.
    faulty.set_faults(lost_response_after_inclusion=1.0)

    slow = post_json(api_client, "/api/v1/payouts", body, **key)

    assert slow.status_code == 202
    accepted = slow.json()
    assert accepted["status"] == "in_flight"
    assert slow["Location"] == accepted["href"]
    retry = post_json(api_client, "/api/v1/payouts", body, **key)
    assert (retry.status_code, retry.json()) == (202, accepted)

    faulty.clear_faults()
    # Later: the API's lease on the envelope runs out and a worker asks the network.
    PaymentTransaction.objects.update(lease_until=timezone.now())
    Worker("test", threads=2).run(until_idle=True)

    paid = api_client.get(accepted["href"]).json()
    assert paid["status"] == "paid"
    assert transaction_on_network(faulty, paid["tx_hash"])["successful"] is True
    again = post_json(api_client, "/api/v1/payouts", body, **key)
    assert again.json() == accepted  # the first answer, as promised
    assert Payout.objects.count() == 1
    assert usdc_balance(faulty, dest) - before == Decimal("6")


def test_a_duplicate_sent_while_the_first_is_paying_is_pointed_at_that_payout(
    faulty, api_client, recipient
):
    dest = recipient()
    before = usdc_balance(faulty, dest)
    body = {"destination": dest, "amount": "2"}
    key = {"Idempotency-Key": "pago-doble-click"}
    # Submissions take 0.8 s (well inside the envelope's ten ledgers of validity).
    faulty.set_faults(latency_ms=800)
    answers: dict[str, Any] = {}

    def first() -> None:
        try:
            answers["first"] = post_json(api_client, "/api/v1/payouts", body, **key)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    # The first request created its payout and is now waiting for the network's answer.
    deadline = time.monotonic() + 30
    while not PaymentTransaction.objects.filter(status="submitted").exists():
        assert time.monotonic() < deadline and thread.is_alive(), "the first request stopped"
        time.sleep(0.02)
    second = post_json(api_client, "/api/v1/payouts", body, **key)
    thread.join(30)

    # The payout already exists: the duplicate is told where to follow it, nothing is created.
    assert second.status_code == 202
    assert second["Idempotent-Replayed"] == "true"
    assert answers["first"].status_code == 200
    assert second.json()["id"] == answers["first"].json()["id"]
    assert second.json()["href"] == f"/api/v1/payouts/{second.json()['id']}"
    assert Payout.objects.count() == 1
    assert usdc_balance(faulty, dest) - before == Decimal("2")


def test_a_request_that_dies_after_creating_the_payout_is_never_paid_twice(
    net_settings, api_client, recipient, monkeypatch
):
    """The web process is killed while paying (the payout already exists): a retry with the
    same key finds that payout; the worker pays it once."""
    from sozu.disbursements import api

    dest = recipient()
    before = usdc_balance(net_settings, dest)
    body = {"destination": dest, "amount": "4"}
    key = {"Idempotency-Key": "murio-a-mitad"}

    def dies(**kwargs: Any) -> None:
        raise SystemExit("worker process killed mid-request")

    monkeypatch.setattr(api, "payout_pay_now", dies)
    with pytest.raises(SystemExit):
        post_json(api_client, "/api/v1/payouts", body, **key)
    monkeypatch.undo()

    retry = post_json(api_client, "/api/v1/payouts", body, **key)
    assert retry.status_code == 202
    assert Payout.objects.count() == 1
    Worker("test", threads=2).run(until_idle=True)
    assert api_client.get(retry.json()["href"]).json()["status"] == "paid"
    assert usdc_balance(net_settings, dest) - before == Decimal("4")
