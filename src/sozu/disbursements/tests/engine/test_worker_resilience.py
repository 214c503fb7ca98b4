"""An operator's worker keeps going through Horizon trouble, and leases outlast submissions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from stellar_sdk import Keypair, Server, TransactionBuilder
from tests.localnet_process import LocalNet

from sozu.disbursements.metrics import WORKER_ERRORS
from sozu.disbursements.models import Batch, ChannelAccount, PaymentTransaction, Payout
from sozu.disbursements.services import engine
from sozu.disbursements.tests.engine.helpers import create_and_execute, lines, pack_now
from sozu.disbursements.worker import Worker
from sozu.orgs.services import organization_create, wallet_keypair
from sozu.stellar import network

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def net(own_net_settings: LocalNet) -> LocalNet:
    """A network of the test's own: faults injected here touch no other test."""
    return own_net_settings


def wait_until(condition: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def _org(net: LocalNet, channels: int = 1) -> Any:
    return organization_create(
        slug=f"res-{Keypair.random().public_key[-6:].lower()}",
        name="Resiliente",
        actor="test",
        fund_usdc=Decimal(100),
        channels=channels,
    )


def _recipient(net: LocalNet) -> str:
    dest = Keypair.random().public_key
    net.fund(dest, xlm="10", usdc="1")
    return str(dest)


def _errors() -> float:
    return sum(WORKER_ERRORS.labels(kind=k)._value.get() for k in ("network", "other"))


@pytest.mark.parametrize("fault", ["unavailable", "rate_limit"])
def test_horizon_errors_on_every_read_never_stop_the_worker(net, fault):
    org = _org(net)
    dest = _recipient(net)
    batch = create_and_execute(org, lines((dest, "5")))
    # Every GET answers 503 (or 429): the latest ledger, accounts, fee stats, lookups.
    net.set_faults(**{fault: 1.0}, gets=True, root=True)
    worker = Worker("t", threads=2, poll_seconds=0.05)
    errors_before = _errors()
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: _errors() >= errors_before + 2, what="the worker to retry")
        assert thread.is_alive()
        assert batch.lines.get().status == Payout.Status.QUEUED  # nothing was packed blind

        net.clear_faults()
        wait_until(
            lambda: Batch.objects.get(pk=batch.pk).status == Batch.Status.COMPLETED,
            what="the batch to be paid once the network answers again",
        )
    finally:
        worker.stop_event.set()
        thread.join(60)
    assert not thread.is_alive()  # a signal (stop_event) is what ends it
    assert net.usdc_balance(dest) == Decimal("6")


def test_a_submission_refused_by_the_pre_check_does_not_consume_the_channel_sequence(net):
    org = _org(net)
    dest = _recipient(net)
    batch = create_and_execute(org, lines((dest, "5")))
    packed = pack_now(org)
    channel = ChannelAccount.objects.get(organization=org)
    on_chain = network.client().account(channel.public_key)
    assert on_chain is not None and channel.next_sequence == on_chain.sequence + 1
    # Someone raised the wallet's thresholds: its single key no longer authorizes payments,
    # so the network refuses the envelope at submission (tx_failed / op_bad_auth).
    wallet = wallet_keypair(org)
    server = Server(net.url)
    tx = (
        TransactionBuilder(server.load_account(wallet.public_key), net.passphrase, 100)
        .append_set_options_op(med_threshold=2, high_threshold=2)
        .set_timeout(60)
        .build()
    )
    tx.sign(wallet)
    server.submit_transaction(tx)

    outcome = engine.submit(tx_id=packed.tx_id, worker="t")

    assert outcome is not None and not outcome.included
    assert (outcome.tx_code, outcome.op_codes) == ("tx_failed", ("op_bad_auth",))
    stored = PaymentTransaction.objects.get(pk=packed.tx_id)
    assert (stored.status, stored.ledger) == (PaymentTransaction.Status.DISCARDED, None)
    channel.refresh_from_db()
    after = network.client().account(channel.public_key)
    assert after is not None and after.sequence == on_chain.sequence  # not consumed
    assert channel.next_sequence == on_chain.sequence + 1  # so the next envelope is valid
    batch.refresh_from_db()
    assert (batch.status, batch.pause_code) == (Batch.Status.PAUSED, "op_bad_auth")
    assert batch.lines.get().status == Payout.Status.QUEUED
    assert net.usdc_balance(dest) == Decimal("1")


def test_a_submissions_lease_outlasts_the_submit_timeout(net, settings):
    settings.HORIZON_TIMEOUT_SECONDS = 120
    org = _org(net)
    create_and_execute(org, lines((_recipient(net), "5")))
    packed = pack_now(org)
    net.set_faults(latency_ms=1500)  # the submission takes a while to be answered
    thread = threading.Thread(
        target=lambda: engine.submit(tx_id=packed.tx_id, worker="t"), daemon=True
    )
    thread.start()
    try:
        tx = wait_until(
            lambda: PaymentTransaction.objects.filter(
                pk=packed.tx_id, status=PaymentTransaction.Status.SUBMITTED
            ).first(),
            what="the submission",
        )
        from django.utils import timezone

        # While the request may still be waiting for its answer, no other worker may take
        # the envelope over: the lease runs longer than the request can.
        assert tx.lease_until - timezone.now() > engine.lease() - engine.LEASE_MARGIN
        assert engine.lease().total_seconds() > settings.HORIZON_TIMEOUT_SECONDS
    finally:
        thread.join(60)
        net.clear_faults()
    assert PaymentTransaction.objects.get(pk=packed.tx_id).status == "succeeded"
