"""Lost responses, timeouts and expiries never pay a line twice nor lose it."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
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


def wait_past_max_ledger(tx: PaymentTransaction, timeout: float = 60.0) -> None:
    """Until the network's latest ledger is past the envelope's max ledger (or fail)."""
    deadline = time.monotonic() + timeout
    while network.client().latest_ledger() <= tx.max_ledger:
        assert time.monotonic() < deadline, "the network stopped closing ledgers"
        time.sleep(0.1)


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
    # The dropped submission never reached a ledger: the network does not know the hash.
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
    wait_past_max_ledger(tx)
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
    assert payout.batch is not None
    exported = list(csv.DictReader(io.StringIO("".join(batch_export_csv(batch=payout.batch)))))
    assert (exported[0]["tx_hash"], exported[0]["outer_tx_hash"]) == (
        packed.hash,
        tx.fee_bump_hash,
    )
    assert net.usdc_balance(dest) == Decimal("8")


def test_not_found_from_a_lagging_view_is_not_taken_as_never_included(net):
    org, payout, dest = _setup(net)
    packed = pack_now(org)
    # Included, but the answer is lost; and the node answering lookups is far behind the one
    # answering "latest ledger": the envelope looks unknown to the network.
    net.set_faults(lost_response_after_inclusion=1.0, lag_ledgers=100_000)
    engine.submit(tx_id=packed.tx_id, worker="t")
    tx = PaymentTransaction.objects.get()
    wait_past_max_ledger(tx)
    assert network.client().transaction(packed.hash) is None

    engine.recheck(tx_id=packed.tx_id, worker="t")

    tx.refresh_from_db()
    payout.refresh_from_db()
    # The channel's sequence shows the envelope's was used: not discarded, not released.
    assert tx.status == PaymentTransaction.Status.SUBMITTED
    assert payout.status == Payout.Status.IN_FLIGHT
    run_worker_briefly()
    assert net.usdc_balance(dest) == Decimal("8")  # paid once, not twice

    net.clear_faults()  # the lagging node catches up
    engine.recheck(tx_id=packed.tx_id, worker="t")
    payout.refresh_from_db()
    assert (payout.status, payout.tx_hash) == (Payout.Status.PAID, packed.hash)
    assert PaymentTransaction.objects.count() == 1
    assert net.usdc_balance(dest) == Decimal("8")


def run_worker_briefly() -> None:
    """A worker's pass over what is due now (the envelope in doubt stays in doubt)."""
    from sozu.disbursements.worker import Worker

    worker = Worker("other", threads=2)
    try:
        worker.tick()
    finally:
        worker.drain()


def test_a_discarded_envelope_found_included_raises_the_alarm(net, caplog):
    from sozu.disbursements.metrics import DISCARDED_BUT_INCLUDED
    from sozu.disbursements.services.settlement import discard, discarded_verify

    org, payout, _dest = _setup(net)
    packed = pack_now(org)
    net.set_faults(lost_response_after_inclusion=1.0)
    engine.submit(tx_id=packed.tx_id, worker="t")  # included; the answer was lost
    net.clear_faults()
    # A worker discarded it on wrong evidence (e.g. every witness it asked was behind).
    discard(tx_id=packed.tx_id, worker="t", reason="expired")
    alarms_before = DISCARDED_BUT_INCLUDED._value.get()

    assert discarded_verify(worker="t", older_than=timedelta(0)) == 1

    tx = PaymentTransaction.objects.get()
    assert tx.status == PaymentTransaction.Status.DISCARDED
    assert tx.included_after_discard_ledger is not None
    assert DISCARDED_BUT_INCLUDED._value.get() == alarms_before + 1
    alarm = [r for r in caplog.records if r.getMessage().startswith("ALARM")]
    assert len(alarm) == 1 and alarm[0].levelname == "ERROR"
    assert alarm[0].__dict__["payout_ids"] == [payout.pk]
    from sozu.audit.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="transaction.included_after_discard", tx_hash=packed.hash
    ).exists()
    # A late answer for the same envelope is not ignored either, nor counted twice.
    found = network.client().transaction(packed.hash)
    assert found is not None
    from sozu.disbursements.services.settlement import settle

    settle(tx_id=packed.tx_id, outcome=found, worker="t")
    assert DISCARDED_BUT_INCLUDED._value.get() == alarms_before + 1
    assert discarded_verify(worker="t", older_than=timedelta(0)) == 0


def test_a_line_the_network_keeps_refusing_fails_with_too_many_retries(net):
    from sozu.disbursements.models import Batch
    from sozu.disbursements.services.settlement import MAX_ATTEMPTS

    org, payout, dest = _setup(net)
    Payout.objects.filter(pk=payout.pk).update(attempts_count=MAX_ATTEMPTS - 1)
    org.channels.update(next_sequence=1)  # its last try is refused (tx_bad_seq)
    packed = pack_now(org)

    engine.submit(tx_id=packed.tx_id, worker="t")

    payout.refresh_from_db()
    assert (payout.status, payout.failure_code) == (Payout.Status.FAILED, "too_many_retries")
    assert payout.batch is not None and payout.batch.status == Batch.Status.FAILED

    run_worker()
    assert net.usdc_balance(dest) == Decimal("1")


def test_expiries_during_a_fee_surge_do_not_count_as_the_lines_tries(net):
    from sozu.disbursements.services.settlement import MAX_ATTEMPTS

    org, payout, dest = _setup(net)
    Payout.objects.filter(pk=payout.pk).update(attempts_count=MAX_ATTEMPTS - 1)
    packed = pack_now(org)
    # The network is too busy to include it before its max ledger (here: it never sees it).
    net.set_faults(timeout_before_inclusion=1.0)
    engine.submit(tx_id=packed.tx_id, worker="t")
    wait_past_max_ledger(PaymentTransaction.objects.get())
    net.clear_faults()

    engine.recheck(tx_id=packed.tx_id, worker="t")

    payout.refresh_from_db()
    assert PaymentTransaction.objects.get().tx_code == "expired"
    assert (payout.status, payout.attempts_count) == (Payout.Status.QUEUED, MAX_ATTEMPTS - 1)
    run_worker()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert net.usdc_balance(dest) == Decimal("8")


def test_a_second_worker_takes_over_an_envelope_once_its_lease_runs_out(net):
    import time_machine

    from sozu.disbursements.worker import Worker

    org, payout, dest = _setup(net)
    packed = pack_now(org, worker="w1")
    net.set_faults(lost_response_after_inclusion=1.0)
    engine.submit(tx_id=packed.tx_id, worker="w1")  # included, answer lost; then w1 dies
    net.clear_faults()
    tx = PaymentTransaction.objects.get()
    assert (tx.status, tx.lease_owner) == (PaymentTransaction.Status.SUBMITTED, "w1")

    other = Worker("w2", threads=2)
    try:
        other.tick()  # while w1's lease runs, w2 leaves its envelope alone
    finally:
        other.drain()
    tx.refresh_from_db()
    assert (tx.status, tx.lease_owner) == (PaymentTransaction.Status.SUBMITTED, "w1")

    assert tx.lease_until is not None
    with time_machine.travel(tx.lease_until + timedelta(seconds=1), tick=True):
        run_worker(name="w2")

    tx.refresh_from_db()
    payout.refresh_from_db()
    assert (tx.status, tx.submit_count) == (PaymentTransaction.Status.SUCCEEDED, 1)
    assert (payout.status, payout.tx_hash) == (Payout.Status.PAID, packed.hash)
    assert PaymentTransaction.objects.count() == 1
    assert net.usdc_balance(dest) == Decimal("8")


def test_a_fee_bumped_envelope_whose_answer_was_lost_is_settled_by_recheck(net):
    org, payout, dest = _setup(net)
    packed = pack_now(org, fee_per_op=50)  # too low: the network asks for more
    net.set_faults(lost_response_after_inclusion=1.0)

    outcome = engine.submit(tx_id=packed.tx_id, worker="t")  # bumped, included, answer lost

    net.clear_faults()
    assert outcome is not None and outcome.verdict is Verdict.UNKNOWN
    tx = PaymentTransaction.objects.get()
    assert tx.fee_bump_hash and tx.status == PaymentTransaction.Status.SUBMITTED
    payout.refresh_from_db()
    assert payout.status == Payout.Status.IN_FLIGHT

    engine.recheck(tx_id=packed.tx_id, worker="t")

    tx.refresh_from_db()
    payout.refresh_from_db()
    assert tx.status == PaymentTransaction.Status.SUCCEEDED
    assert (payout.status, payout.tx_hash, payout.outer_tx_hash) == (
        Payout.Status.PAID,
        packed.hash,
        tx.fee_bump_hash,
    )
    assert net.usdc_balance(dest) == Decimal("8")
