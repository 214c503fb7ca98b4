"""Ledgers have a capacity, and a restarted network comes back with everything it had closed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from stellar_sdk import Asset, Server, ServerAsync
from stellar_sdk.client.aiohttp_client import AiohttpClient

from tests.localnet.conftest import account_maker
from tests.localnet.helpers import (
    FEE,
    balance,
    builder,
    latest_ledger,
    sequence,
    signed,
    usdc,
    wait_for,
    wait_for_transaction,
    xlm,
)
from tests.localnet_process import LocalNet


def test_transactions_beyond_a_ledgers_capacity_wait_for_later_ledgers(
    fresh_localnet: LocalNet,
) -> None:
    fresh_localnet.max_ops_per_ledger = 10
    fresh_localnet.start()
    new_account = account_maker(fresh_localnet)
    payers, payee = [new_account() for _ in range(3)], new_account()
    server = Server(fresh_localnet.url)
    envelopes = []
    for payer in payers:
        batch = builder(fresh_localnet, server.load_account(payer))
        for _ in range(10):
            batch.append_payment_op(payee.public_key, Asset.native(), "1")
        envelopes.append(signed(batch.build(), payer))

    async def submit_all() -> list[dict[str, str]]:
        async with ServerAsync(fresh_localnet.url, AiohttpClient()) as client:
            return list(
                await asyncio.gather(*(client.submit_transaction_async(e) for e in envelopes))
            )

    answers = asyncio.run(submit_all())

    assert [a["tx_status"] for a in answers] == ["PENDING"] * 3
    records = [wait_for_transaction(server, e.hash_hex(), timeout=30) for e in envelopes]
    assert all(r["successful"] for r in records)
    ledgers = sorted(r["ledger"] for r in records)
    assert len(set(ledgers)) == 3, f"three full transactions shared ledgers: {ledgers}"
    for seq in ledgers:
        ledger = server.ledgers().ledger(seq).call()
        assert ledger["operation_count"] <= 10
        assert ledger["max_tx_set_size"] == 10
    assert xlm(server, payee.public_key) == Decimal("130")


def test_a_restarted_network_keeps_balances_sequences_and_history(
    fresh_localnet: LocalNet,
) -> None:
    fresh_localnet.start()
    new_account = account_maker(fresh_localnet)
    alice, bob = new_account(xlm="100", usdc="40"), new_account(xlm="100", usdc="1")
    identity = (fresh_localnet.passphrase, fresh_localnet.usdc_issuer)
    server = Server(fresh_localnet.url)
    paid = server.submit_transaction(
        signed(
            builder(fresh_localnet, server.load_account(alice))
            .append_payment_op(bob.public_key, usdc(fresh_localnet), "15")
            .append_payment_op(bob.public_key, Asset.native(), "10")
            .build(),
            alice,
        )
    )
    seq, alice_xlm = sequence(server, alice.public_key), xlm(server, alice.public_key)
    closed = latest_ledger(server)
    closed_hash = server.ledgers().ledger(closed).call()["hash"]

    fresh_localnet.stop()
    fresh_localnet.start()
    server = Server(fresh_localnet.url)

    assert (fresh_localnet.passphrase, fresh_localnet.usdc_issuer) == identity
    assert latest_ledger(server) >= closed
    assert server.ledgers().ledger(closed).call()["hash"] == closed_hash
    assert sequence(server, alice.public_key) == seq
    assert xlm(server, alice.public_key) == alice_xlm
    assert balance(server, alice.public_key, usdc(fresh_localnet)) == Decimal("25")
    assert balance(server, bob.public_key, usdc(fresh_localnet)) == Decimal("16")
    again = server.transactions().transaction(paid["hash"]).call()
    assert (again["ledger"], again["successful"]) == (paid["ledger"], True)
    history = server.payments().for_account(bob.public_key).limit(200).call()
    assert paid["hash"] in {r["transaction_hash"] for r in history["_embedded"]["records"]}

    after = server.submit_transaction(
        signed(
            builder(fresh_localnet, server.load_account(alice))
            .append_payment_op(bob.public_key, Asset.native(), "1")
            .build(),
            alice,
        )
    )
    assert after["source_account_sequence"] == str(seq + 1)
    assert after["ledger"] > closed
    assert xlm(server, alice.public_key) == alice_xlm - Decimal("1") - FEE
    # The chain continues from the ledger closed before the restart.
    following = server.ledgers().ledger(closed + 1).call()
    assert following["prev_hash"] == closed_hash
    wait_for(lambda: latest_ledger(server) > after["ledger"])
