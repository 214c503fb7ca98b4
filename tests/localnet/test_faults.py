"""What a payer sees when the network misbehaves: lost answers, timeouts, throttling, crashes.

The rule every client relies on: an unknown outcome is settled by looking the hash up, and
resubmitting the very same envelope never pays twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from stellar_sdk import Asset, Keypair, Server, TransactionEnvelope
from stellar_sdk.exceptions import BadRequestError, BadResponseError

from tests.localnet.conftest import account_maker
from tests.localnet.helpers import (
    FEE,
    builder,
    find_transaction,
    sequence,
    signed,
    wait_for,
    wait_for_transaction,
    wait_ledgers,
    xlm,
)
from tests.localnet_process import LocalNet

pytestmark = pytest.mark.slow


@pytest.fixture
def net(fresh_localnet: LocalNet) -> Iterator[LocalNet]:
    fresh_localnet.start()
    yield fresh_localnet


@pytest.fixture
def server(net: LocalNet) -> Iterator[Server]:
    with Server(net.url) as client:
        yield client


def payment(net: LocalNet, server: Server, payer: Keypair, to: str) -> TransactionEnvelope:
    envelope = builder(net, server.load_account(payer)).append_payment_op(to, Asset.native(), "10")
    return signed(envelope.build(), payer)


def test_a_lost_answer_after_inclusion_is_settled_by_the_hash(
    net: LocalNet, server: Server
) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    envelope = payment(net, server, alice, bob.public_key)
    net.set_faults(lost_response_after_inclusion=1.0, seed=7)

    with pytest.raises(BadResponseError) as caught:
        server.submit_transaction(envelope)

    assert caught.value.status == 504
    assert caught.value.type is not None and caught.value.type.endswith("timeout")
    if caught.value.extras and "hash" in caught.value.extras:
        assert caught.value.extras["hash"] == envelope.hash_hex()
    net.clear_faults()
    record = wait_for_transaction(server, envelope.hash_hex())
    assert record["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("110")

    # Retrying the same envelope returns the included record instead of paying twice.
    retried = server.submit_transaction(envelope)
    assert retried["hash"] == envelope.hash_hex()
    assert retried["ledger"] == record["ledger"]
    assert xlm(server, bob.public_key) == Decimal("110")
    assert xlm(server, alice.public_key) == Decimal("90") - FEE


def test_a_timeout_before_inclusion_moves_nothing_and_the_envelope_stays_valid(
    net: LocalNet, server: Server
) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    seq = sequence(server, alice.public_key)
    envelope = payment(net, server, alice, bob.public_key)
    net.set_faults(timeout_before_inclusion=1.0, seed=7)

    with pytest.raises(BadResponseError) as caught:
        server.submit_transaction(envelope)

    assert caught.value.status == 504
    wait_ledgers(server, 5)
    assert find_transaction(server, envelope.hash_hex()) is None
    assert sequence(server, alice.public_key) == seq
    assert xlm(server, alice.public_key) == Decimal("100")
    assert xlm(server, bob.public_key) == Decimal("100")

    net.clear_faults()
    record = server.submit_transaction(envelope)
    assert record["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("110")


def test_rate_limited_submissions_are_429_and_move_nothing(net: LocalNet, server: Server) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    envelope = payment(net, server, alice, bob.public_key)
    net.set_faults(rate_limit=1.0, seed=7)

    with pytest.raises(BadRequestError) as caught:
        server.submit_transaction(envelope)

    assert caught.value.status == 429
    assert caught.value.type is not None and caught.value.type.endswith("rate_limit_exceeded")
    with pytest.raises(BadRequestError) as async_caught:
        server.submit_transaction_async(envelope)
    assert async_caught.value.status == 429
    wait_ledgers(server, 3)
    assert find_transaction(server, envelope.hash_hex()) is None
    assert xlm(server, alice.public_key) == Decimal("100")


def test_an_unavailable_network_is_503_and_moves_nothing(net: LocalNet, server: Server) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    envelope = payment(net, server, alice, bob.public_key)
    net.set_faults(unavailable=1.0, seed=7)

    with pytest.raises(BadResponseError) as caught:
        server.submit_transaction(envelope)

    assert caught.value.status == 503
    assert caught.value.message  # a problem document a client can log
    wait_ledgers(server, 3)
    assert find_transaction(server, envelope.hash_hex()) is None
    assert xlm(server, alice.public_key) == Decimal("100")
    net.clear_faults()
    assert server.submit_transaction(envelope)["successful"] is True


def test_latency_slows_submissions_without_changing_their_outcome(
    net: LocalNet, server: Server
) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    envelope = payment(net, server, alice, bob.public_key)
    net.set_faults(latency_ms=800, seed=7)

    started = time.monotonic()
    record = server.submit_transaction(envelope)

    assert time.monotonic() - started >= 0.8
    assert record["successful"] is True


def crash(net: LocalNet) -> None:
    """Crash the network and wait until the restarted process answers (not the old one)."""
    marker = 20261204
    # Faults live in the process's memory: a restarted network has forgotten this seed.
    net.set_faults(seed=marker)
    try:
        requests.post(net.url + "/localnet/crash", json={}, timeout=5)
    except requests.RequestException:
        pass  # the process may die before it answers

    def restarted() -> bool:
        try:
            r = requests.get(net.url + "/localnet/faults", timeout=2)
            return r.status_code == 200 and r.json()["seed"] != marker
        except requests.RequestException:
            return False

    wait_for(restarted, timeout=30, every=0.1)


def test_a_crash_keeps_closed_ledgers_and_balances(net: LocalNet, server: Server) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    record = server.submit_transaction(payment(net, server, alice, bob.public_key))
    seq = sequence(server, alice.public_key)
    closed_hash = server.ledgers().ledger(record["ledger"]).call()["hash"]

    crash(net)

    with Server(net.url) as after:
        assert after.ledgers().ledger(record["ledger"]).call()["hash"] == closed_hash
        assert after.transactions().transaction(record["hash"]).call()["successful"] is True
        assert sequence(after, alice.public_key) == seq
        assert xlm(after, bob.public_key) == Decimal("110")
        again = after.submit_transaction(payment(net, after, alice, bob.public_key))
        assert again["successful"] is True
        assert xlm(after, bob.public_key) == Decimal("120")


def test_a_crash_loses_a_pending_transaction_which_can_then_be_resubmitted(
    fresh_localnet: LocalNet,
) -> None:
    fresh_localnet.close_seconds = 2.0
    fresh_localnet.start()
    alice, bob = account_maker(fresh_localnet)(), account_maker(fresh_localnet)()
    with Server(fresh_localnet.url) as server:
        seq = sequence(server, alice.public_key)
        envelope = payment(fresh_localnet, server, alice, bob.public_key)
        assert server.submit_transaction_async(envelope)["tx_status"] == "PENDING"

        crash(fresh_localnet)

        wait_ledgers(server, 2, timeout=30)
        assert find_transaction(server, envelope.hash_hex()) is None
        assert sequence(server, alice.public_key) == seq
        assert xlm(server, bob.public_key) == Decimal("100")
        record = server.submit_transaction(envelope)
        assert record["successful"] is True
        assert xlm(server, bob.public_key) == Decimal("110")


def test_a_lagging_view_does_not_know_recent_transactions(net: LocalNet, server: Server) -> None:
    alice, bob = account_maker(net)(), account_maker(net)()
    record = server.submit_transaction(payment(net, server, alice, bob.public_key))
    latest = int(server.root().call()["history_latest_ledger"])
    net.set_faults(lag_ledgers=1000, lag_root=True)

    # Looked up from a node that has not ingested that ledger yet: 404.
    assert find_transaction(server, record["hash"]) is None
    assert int(server.root().call()["history_latest_ledger"]) < latest
    # Accounts still come from the current state (the channel-sequence witness).
    assert sequence(server, alice.public_key) == int(record["source_account_sequence"])
    net.clear_faults()
    assert find_transaction(server, record["hash"]) is not None


def test_faults_on_reads_hit_the_root_only_when_asked_and_are_counted(
    net: LocalNet, server: Server
) -> None:
    alice = account_maker(net)()
    net.set_faults(unavailable=1.0, gets=True, seed=7)
    assert server.root().call()["history_latest_ledger"]  # GET / spared by default
    with pytest.raises(BadResponseError):
        server.accounts().account_id(alice.public_key).call()
    net.set_faults(unavailable=1.0, gets=True, root=True, seed=7)
    with pytest.raises(BadResponseError):
        server.root().call()
    hits = net.faults()
    assert hits["get_hits"] >= 1 and hits["hits"]["unavailable"] == hits["get_hits"]
    net.clear_faults()
    assert net.faults()["get_hits"] == 0  # counted per set of faults
