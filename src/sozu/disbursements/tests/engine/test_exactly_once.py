"""Lost responses, timeouts and expiries never pay a line twice nor lose it."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from typing import Any

import pytest
from stellar_sdk import Server
from tests.localnet_process import LocalNet

from sozu.disbursements.models import PaymentTransaction, Payout
from sozu.disbursements.selectors import batch_export_csv, payout_as_dict
from sozu.disbursements.services import engine
from sozu.disbursements.tests.engine.helpers import (
    create_and_execute,
    lines,
    pack_now,
    run_worker,
)
from sozu.orgs.services import organization_create
from sozu.stellar import network
from sozu.stellar.results import Verdict

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def net(own_net_settings: LocalNet) -> LocalNet:
    """A network of the test's own: faults injected here touch no other test."""
    return own_net_settings


def _setup(net: LocalNet, amount: str = "7") -> tuple[Any, Payout, str]:
    org = organization_create(
        slug="once", name="Once", actor="test", fund_usdc=Decimal(100), channels=1
    )
    from stellar_sdk import Keypair

    dest = Keypair.random().public_key
    net.fund(dest, xlm="10", usdc="1")
    batch = create_and_execute(org, lines((dest, amount)))
    return org, batch.lines.get(), dest


def test_response_lost_after_inclusion_is_settled_from_the_network(net):
    org, payout, dest = _setup(net)
    packed = pack_now(org)
    net.set_faults(lost_response_after_inclusion=1.0)
    outcome = engine.submit(tx_id=packed.tx_id, worker="t")
    net.clear_faults()
    assert outcome is not None and outcome.verdict is Verdict.UNKNOWN
    payout.refresh_from_db()
    assert payout.status == Payout.Status.IN_FLIGHT  # unknown is not failed, nor paid

    engine.recheck(tx_id=packed.tx_id, worker="t")

    payout.refresh_from_db()
    assert (payout.status, payout.tx_hash) == (Payout.Status.PAID, packed.hash)
    assert PaymentTransaction.objects.count() == 1
    assert net.usdc_balance(dest) == Decimal("8")


def test_timeout_before_inclusion_resubmits_the_same_envelope(net):
    org, payout, dest = _setup(net)
    packed = pack_now(org)
    net.set_faults(timeout_before_inclusion=1.0)
    engine.submit(tx_id=packed.tx_id, worker="t")
    net.clear_faults()
    time.sleep(0.5)  # a moment later the hash is still unknown to the network (404)
    assert network.client().transaction(packed.hash) is None

    engine.recheck(tx_id=packed.tx_id, worker="t")

    tx = PaymentTransaction.objects.get()
    assert (tx.hash, tx.status, tx.submit_count) == (packed.hash, "succeeded", 2)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert net.usdc_balance(dest) == Decimal("8")


def test_not_found_is_never_paid_only_after_the_max_ledger_has_passed(net):
    org, payout, dest = _setup(net)
    packed = pack_now(org)
    net.set_faults(timeout_before_inclusion=1.0)
    engine.submit(tx_id=packed.tx_id, worker="t")
    tx = PaymentTransaction.objects.get()
    # While the network's ledger is not past max_ledger, a recheck resubmits the envelope
    # (here it is dropped again) and the payout stays in flight: it may still be included.
    engine.recheck(tx_id=packed.tx_id, worker="t")
    payout.refresh_from_db()
    assert payout.status == Payout.Status.IN_FLIGHT
    while network.client().latest_ledger() <= tx.max_ledger:
        time.sleep(0.2)
    net.clear_faults()

    engine.recheck(tx_id=packed.tx_id, worker="t")  # proven never included: released
    tx.refresh_from_db()
    payout.refresh_from_db()
    assert tx.status == PaymentTransaction.Status.DISCARDED
    assert payout.status == Payout.Status.QUEUED

    run_worker()  # a new envelope pays it, once
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.tx_hash != packed.hash
    assert net.usdc_balance(dest) == Decimal("8")


def test_a_worker_that_died_after_signing_resumes_with_the_stored_envelope(net):
    org, _, dest = _setup(net)
    packed = pack_now(org)  # signed and stored, never submitted: then the worker died

    run_worker(name="t")  # same worker name restarts and adopts its lease

    tx = PaymentTransaction.objects.get()
    assert (tx.hash, tx.status) == (packed.hash, "succeeded")
    assert net.usdc_balance(dest) == Decimal("8")


def test_bad_sequence_is_rebuilt_after_reading_the_channel_again(net):
    org, payout, dest = _setup(net)
    org.channels.update(next_sequence=1)  # our copy of the channel's sequence is wrong

    run_worker()

    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    statuses = list(PaymentTransaction.objects.order_by("pk").values_list("status", "tx_code"))
    assert statuses == [("discarded", "tx_bad_seq"), ("succeeded", "tx_success")]
    assert net.usdc_balance(dest) == Decimal("8")


def test_a_fee_too_low_is_paid_by_a_fee_bump_of_the_same_envelope(net):
    org, payout, dest = _setup(net)
    packed = pack_now(org, fee_per_op=50)

    engine.submit(tx_id=packed.tx_id, worker="t")

    tx = PaymentTransaction.objects.get()
    assert tx.status == PaymentTransaction.Status.SUCCEEDED
    assert tx.fee_bump_hash and tx.fee_bump_fee == 200  # 100 per op, for 1 inner op + 1
    record = Server(net.url).transactions().transaction(tx.fee_bump_hash).call()
    assert record["inner_transaction"]["hash"] == packed.hash
    assert record["fee_charged"] == "200"
    payout.refresh_from_db()
    assert (payout.status, payout.tx_hash) == (Payout.Status.PAID, packed.hash)
    # The network shows the payment under the fee bump's hash: the record keeps it too, so
    # an export reconciles with Horizon's payments.
    assert payout.outer_tx_hash == tx.fee_bump_hash
    payment = Server(net.url).payments().for_account(dest).order(desc=True).limit(1).call()
    assert payment["_embedded"]["records"][0]["transaction_hash"] == payout.outer_tx_hash
    assert payout_as_dict(payout)["outer_tx_hash"] == tx.fee_bump_hash
    exported = list(csv.DictReader(io.StringIO("".join(batch_export_csv(batch=payout.batch)))))
    assert (exported[0]["tx_hash"], exported[0]["outer_tx_hash"]) == (
        packed.hash,
        tx.fee_bump_hash,
    )
    assert net.usdc_balance(dest) == Decimal("8")
