"""The asyncio client (ServerAsync + aiohttp): payments, problems, `transactions_async`."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from stellar_sdk import Asset, Keypair, Server, ServerAsync, TransactionEnvelope
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.client.aiohttp_client import AiohttpClient
from stellar_sdk.exceptions import BadRequestError, BadResponseError, NotFoundError

from tests.localnet.conftest import NewAccount, account_maker
from tests.localnet.helpers import (
    FEE,
    builder,
    decode_result,
    result_codes,
    signed,
    usdc,
    wait_for_transaction,
    xlm,
)
from tests.localnet_process import LocalNet

Code = stellar_xdr.TransactionResultCode


async def payment(
    net: LocalNet,
    server: ServerAsync,
    payer: Keypair,
    to: str,
    amount: str,
    asset: Asset | None = None,
) -> TransactionEnvelope:
    source = await server.load_account(payer.public_key)
    envelope = builder(net, source).append_payment_op(to, asset or Asset.native(), amount)
    return signed(envelope.build(), payer)


@pytest.mark.asyncio
async def test_async_client_pays_xlm_and_usdc(
    localnet: LocalNet, server: Server, async_server: ServerAsync, new_account: NewAccount
) -> None:
    alice, bob = new_account(usdc="10"), new_account(usdc="1")
    alice_xlm = xlm(server, alice.public_key)

    paid_xlm = await async_server.submit_transaction(
        await payment(localnet, async_server, alice, bob.public_key, "2.5")
    )
    paid_usdc = await async_server.submit_transaction(
        await payment(localnet, async_server, alice, bob.public_key, "4", usdc(localnet))
    )

    for record in (paid_xlm, paid_usdc):
        assert record["successful"] is True
        assert record["fee_charged"] == "100"
        assert decode_result(record["result_xdr"]).result.code == Code.txSUCCESS
    fetched = await async_server.transactions().transaction(paid_usdc["hash"]).call()
    assert fetched["ledger"] == paid_usdc["ledger"]
    assert xlm(server, alice.public_key) == alice_xlm - Decimal("2.5") - 2 * FEE
    account = await async_server.accounts().account_id(bob.public_key).call()
    [line] = [b for b in account["balances"] if b["asset_type"] != "native"]
    assert line["balance"] == "5.0000000"


@pytest.mark.asyncio
async def test_async_client_sees_the_same_problems_as_the_sync_one(
    localnet: LocalNet, async_server: ServerAsync, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="10"), new_account()

    with pytest.raises(BadRequestError) as caught:
        await async_server.submit_transaction(
            await payment(localnet, async_server, alice, bob.public_key, "50")
        )
    assert result_codes(caught.value) == ("tx_failed", ["op_underfunded"])

    with pytest.raises(NotFoundError) as missing:
        await async_server.load_account(Keypair.random().public_key)
    assert missing.value.status == 404


@pytest.mark.asyncio
async def test_concurrent_submissions_from_different_payers_all_land(
    localnet: LocalNet, server: Server, async_server: ServerAsync, new_account: NewAccount
) -> None:
    payers, payee = [new_account() for _ in range(5)], new_account()
    envelopes = [await payment(localnet, async_server, p, payee.public_key, "1") for p in payers]

    records = await asyncio.gather(*(async_server.submit_transaction(e) for e in envelopes))

    assert [r["hash"] for r in records] == [e.hash_hex() for e in envelopes]
    assert all(r["successful"] for r in records)
    assert xlm(server, payee.public_key) == Decimal("105")


@pytest.mark.asyncio
async def test_two_workers_submitting_the_same_envelope_pay_once(
    localnet: LocalNet, server: Server, async_server: ServerAsync, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    envelope = await payment(localnet, async_server, alice, bob.public_key, "9")

    first, second = await asyncio.gather(
        async_server.submit_transaction(envelope), async_server.submit_transaction(envelope)
    )

    assert first["hash"] == second["hash"] == envelope.hash_hex()
    assert first["ledger"] == second["ledger"]
    assert first["successful"] is second["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("109")


@pytest.mark.asyncio
async def test_transactions_async_is_pending_then_included(
    localnet: LocalNet, server: Server, async_server: ServerAsync, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    envelope = await payment(localnet, async_server, alice, bob.public_key, "8")

    answer = await async_server.submit_transaction_async(envelope)

    assert answer == {"tx_status": "PENDING", "hash": envelope.hash_hex()}
    record = wait_for_transaction(server, envelope.hash_hex())
    assert record["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("108")


@pytest.mark.asyncio
async def test_transactions_async_reports_a_bad_sequence_as_error_with_its_result(
    localnet: LocalNet, async_server: ServerAsync, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    source = await async_server.load_account(alice.public_key)
    source.sequence += 10
    envelope = builder(localnet, source).append_payment_op(bob.public_key, Asset.native(), "1")
    stale = signed(envelope.build(), alice)

    with pytest.raises(BadRequestError) as caught:
        await async_server.submit_transaction_async(stale)

    assert caught.value.status == 400
    answer = json.loads(caught.value.message)
    assert answer["tx_status"] == "ERROR"
    assert answer["hash"] == stale.hash_hex()
    assert decode_result(answer["error_result_xdr"]).result.code == Code.txBAD_SEQ


@pytest.mark.asyncio
async def test_transactions_async_resubmission_is_duplicate_while_pending(
    fresh_localnet: LocalNet,
) -> None:
    # Slow ledgers keep the first submission pending while the wallet retries.
    fresh_localnet.close_seconds = 2.0
    fresh_localnet.start()
    payer, newcomer = account_maker(fresh_localnet)(xlm="100"), Keypair.random()
    async with ServerAsync(fresh_localnet.url, AiohttpClient()) as client:
        source = await client.load_account(payer.public_key)
        envelope = signed(
            builder(fresh_localnet, source)
            .append_create_account_op(newcomer.public_key, "10")
            .build(),
            payer,
        )

        first = await client.submit_transaction_async(envelope)
        with pytest.raises(BadRequestError) as again:
            await client.submit_transaction_async(envelope)

        assert first["tx_status"] == "PENDING"
        assert again.value.status == 409
        assert json.loads(again.value.message) == {
            "tx_status": "DUPLICATE",
            "hash": envelope.hash_hex(),
        }

        with Server(fresh_localnet.url) as sync:
            record = wait_for_transaction(sync, envelope.hash_hex())
        assert record["successful"] is True

        # Once applied, the same envelope is simply a used sequence number to the network.
        with pytest.raises(BadRequestError) as late:
            await client.submit_transaction_async(envelope)
        answer = json.loads(late.value.message)
        assert answer["tx_status"] == "ERROR"
        assert decode_result(answer["error_result_xdr"]).result.code == Code.txBAD_SEQ


@pytest.mark.asyncio
async def test_a_second_pending_transaction_from_one_account_must_try_again_later(
    fresh_localnet: LocalNet,
) -> None:
    # stellar-core queues one transaction per source account; a hot wallet cannot pipeline.
    fresh_localnet.close_seconds = 2.0
    fresh_localnet.start()
    new_account = account_maker(fresh_localnet)
    wallet, bob = new_account(xlm="100"), new_account(xlm="100")
    async with ServerAsync(fresh_localnet.url, AiohttpClient()) as client:
        source = await client.load_account(wallet.public_key)
        first, second = (
            signed(
                builder(fresh_localnet, source)
                .append_payment_op(bob.public_key, Asset.native(), amount)
                .build(),
                wallet,
            )
            for amount in ("1", "2")
        )

        assert (await client.submit_transaction_async(first))["tx_status"] == "PENDING"
        with pytest.raises(BadResponseError) as busy:
            await client.submit_transaction_async(second)

        assert busy.value.status == 503
        assert json.loads(busy.value.message) == {
            "tx_status": "TRY_AGAIN_LATER",
            "hash": second.hash_hex(),
        }
        with Server(fresh_localnet.url) as sync:
            wait_for_transaction(sync, first.hash_hex())
            assert (await client.submit_transaction_async(second))["tx_status"] == "PENDING"
            assert wait_for_transaction(sync, second.hash_hex())["successful"] is True
            assert xlm(sync, bob.public_key) == Decimal("103")
