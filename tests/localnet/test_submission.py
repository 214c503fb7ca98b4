"""A payer submits payments with the synchronous client and reads back what was included."""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal

import pytest
import requests
from stellar_sdk import (
    Asset,
    HashMemo,
    IdMemo,
    Keypair,
    Memo,
    Server,
    TextMemo,
    TransactionEnvelope,
)
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.exceptions import NotFoundError

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import (
    FEE,
    HASH,
    balance,
    builder,
    decode_result,
    inner_code,
    op_results,
    rejected,
    result_codes,
    sequence,
    signed,
    usdc,
    wait_for_transaction,
    xlm,
)
from tests.localnet_process import LocalNet

Code = stellar_xdr.TransactionResultCode
PaymentCode = stellar_xdr.PaymentResultCode


def pay(
    net: LocalNet, server: Server, payer: Keypair, to: str, amount: str, asset: Asset | None = None
) -> TransactionEnvelope:
    source = server.load_account(payer.public_key)
    envelope = builder(net, source).append_payment_op(to, asset or Asset.native(), amount).build()
    return signed(envelope, payer)


def test_xlm_payment_returns_the_included_transaction_record(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="100"), new_account(xlm="100")
    seq = sequence(server, alice.public_key)
    envelope = pay(localnet, server, alice, bob.public_key, "10")

    record = server.submit_transaction(envelope)

    assert record["hash"] == record["id"] == envelope.hash_hex()
    assert HASH.match(record["hash"])
    assert record["successful"] is True
    assert isinstance(record["ledger"], int)
    assert record["fee_charged"] == "100"
    assert record["max_fee"] == "100"
    assert record["source_account"] == record["fee_account"] == alice.public_key
    assert record["source_account_sequence"] == str(seq + 1)
    assert record["operation_count"] == 1
    assert record["memo_type"] == "none"
    assert isinstance(record["paging_token"], str)
    datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    [signature] = record["signatures"]
    assert len(base64.b64decode(signature)) == 64
    assert record["_links"]["ledger"]["href"].endswith(f"/ledgers/{record['ledger']}")
    assert record["_links"]["self"]["href"].endswith(f"/transactions/{record['hash']}")

    echoed = TransactionEnvelope.from_xdr(record["envelope_xdr"], localnet.passphrase)
    assert echoed.hash_hex() == envelope.hash_hex()
    result = decode_result(record["result_xdr"])
    assert result.result.code == Code.txSUCCESS
    assert result.fee_charged.int64 == 100
    [op] = op_results(record["result_xdr"])
    assert inner_code(op) == PaymentCode.PAYMENT_SUCCESS

    assert xlm(server, alice.public_key) == Decimal("100") - Decimal("10") - FEE
    assert xlm(server, bob.public_key) == Decimal("110")
    assert sequence(server, alice.public_key) == seq + 1


def test_a_higher_fee_bid_is_a_maximum_not_the_price(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    # Without congestion every operation pays the base fee, whatever the transaction offered.
    alice, bob = new_account(), new_account()
    source = server.load_account(alice.public_key)
    generous = builder(localnet, source, base_fee=1000).append_payment_op(
        bob.public_key, Asset.native(), "1"
    )

    record = server.submit_transaction(signed(generous.build(), alice))

    assert record["max_fee"] == "1000"
    assert record["fee_charged"] == "100"
    assert decode_result(record["result_xdr"]).fee_charged.int64 == 100
    assert xlm(server, alice.public_key) == Decimal("99") - FEE


def test_the_included_transaction_can_be_fetched_by_hash_and_by_ledger(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    submitted = server.submit_transaction(pay(localnet, server, alice, bob.public_key, "1"))

    fetched = server.transactions().transaction(submitted["hash"]).call()

    for key in ("hash", "ledger", "successful", "envelope_xdr", "result_xdr", "fee_charged"):
        assert fetched[key] == submitted[key], key
    in_ledger = (
        server.transactions()
        .for_ledger(submitted["ledger"])
        .include_failed(True)
        .limit(200)
        .call()["_embedded"]["records"]
    )
    assert submitted["hash"] in [r["hash"] for r in in_ledger]
    ledger = server.ledgers().ledger(submitted["ledger"]).call()
    assert submitted["created_at"] == ledger["closed_at"]
    successful = [r for r in in_ledger if r["successful"]]
    assert ledger["successful_transaction_count"] == len(successful)
    assert ledger["failed_transaction_count"] == len(in_ledger) - len(successful)
    assert ledger["operation_count"] == sum(r["operation_count"] for r in successful)
    assert ledger["tx_set_operation_count"] == sum(r["operation_count"] for r in in_ledger)


def test_usdc_payment_moves_only_usdc(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="10", usdc="50"), new_account(xlm="10", usdc="1")
    alice_xlm = xlm(server, alice.public_key)

    record = server.submit_transaction(
        pay(localnet, server, alice, bob.public_key, "12.5", usdc(localnet))
    )

    assert record["successful"] is True
    assert balance(server, alice.public_key, usdc(localnet)) == Decimal("37.5")
    assert balance(server, bob.public_key, usdc(localnet)) == Decimal("13.5")
    assert xlm(server, alice.public_key) == alice_xlm - FEE


def test_resubmitting_an_included_transaction_returns_the_same_record(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    # Horizon looks the hash up before submitting, so a retry after a lost answer is safe.
    alice, bob = new_account(), new_account()
    envelope = pay(localnet, server, alice, bob.public_key, "5")
    first = server.submit_transaction(envelope)

    again = server.submit_transaction(envelope)

    assert again["hash"] == first["hash"]
    assert again["ledger"] == first["ledger"]
    assert again["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("105")


def test_a_failed_payment_is_included_charged_and_consumes_the_sequence(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="100"), new_account()
    seq = sequence(server, alice.public_key)
    envelope = pay(localnet, server, alice, bob.public_key, "1000")

    err = rejected(server, envelope)

    assert err.status == 400
    assert err.type is not None and err.type.endswith("transaction_failed")
    assert result_codes(err) == ("tx_failed", ["op_underfunded"])
    assert err.extras["envelope_xdr"] == envelope.to_xdr()
    result = decode_result(err.extras["result_xdr"])
    assert result.result.code == Code.txFAILED
    assert result.fee_charged.int64 == 100
    [op] = op_results(err.extras["result_xdr"])
    assert inner_code(op) == PaymentCode.PAYMENT_UNDERFUNDED

    included = server.transactions().transaction(envelope.hash_hex()).call()
    assert included["successful"] is False
    assert included["fee_charged"] == "100"
    assert isinstance(included["ledger"], int)
    assert decode_result(included["result_xdr"]).result.code == Code.txFAILED
    assert xlm(server, alice.public_key) == Decimal("100") - FEE
    assert xlm(server, bob.public_key) == Decimal("100")
    assert sequence(server, alice.public_key) == seq + 1

    # The next sequence number is the one after the failed transaction.
    retry = server.submit_transaction(pay(localnet, server, alice, bob.public_key, "1"))
    assert retry["successful"] is True
    assert retry["source_account_sequence"] == str(seq + 2)


def test_a_rejected_transaction_charges_nothing_and_keeps_the_sequence(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="100"), new_account()
    seq = sequence(server, alice.public_key)
    account = server.load_account(alice.public_key)
    account.sequence += 5  # a wallet with a stale idea of the sequence
    envelope = builder(localnet, account).append_payment_op(bob.public_key, Asset.native(), "1")
    stale = signed(envelope.build(), alice)

    err = rejected(server, stale)

    assert err.status == 400
    assert result_codes(err) == ("tx_bad_seq", [])
    assert decode_result(err.extras["result_xdr"]).result.code == Code.txBAD_SEQ
    with pytest.raises(NotFoundError):
        server.transactions().transaction(stale.hash_hex()).call()
    assert xlm(server, alice.public_key) == Decimal("100")
    assert sequence(server, alice.public_key) == seq


def test_submit_transaction_async_answers_pending_then_the_ledger_includes_it(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    envelope = pay(localnet, server, alice, bob.public_key, "3")

    answer = server.submit_transaction_async(envelope)

    assert answer["tx_status"] == "PENDING"
    assert answer["hash"] == envelope.hash_hex()
    assert "error_result_xdr" not in answer
    record = wait_for_transaction(server, envelope.hash_hex())
    assert record["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("103")


def test_an_undecodable_envelope_is_a_transaction_malformed_problem(localnet: LocalNet) -> None:
    # The SDKs refuse to send such bytes, so this is what a broken client would post.
    raw = requests.post(f"{localnet.url}/transactions", data={"tx": "garbage"}, timeout=10)

    assert raw.status_code == 400
    assert raw.headers["Content-Type"].startswith("application/problem+json")
    problem = raw.json()
    assert problem["type"].endswith("transaction_malformed")
    assert problem["status"] == 400
    assert problem["extras"]["envelope_xdr"] == "garbage"
    assert "result_codes" not in problem["extras"]


def test_a_sync_retry_of_a_pending_transaction_waits_for_its_record(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    # Core answers DUPLICATE to the second submission; Horizon treats that as "wait for it".
    alice, bob = new_account(), new_account()
    envelope = pay(localnet, server, alice, bob.public_key, "6")
    assert server.submit_transaction_async(envelope)["tx_status"] == "PENDING"

    record = server.submit_transaction(envelope)

    assert record["hash"] == envelope.hash_hex()
    assert record["successful"] is True
    assert xlm(server, bob.public_key) == Decimal("106")


def test_memos_are_rendered_by_type(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    digest = bytes(range(32))

    def paid_with(memo: Memo | None) -> dict[str, object]:
        b = builder(localnet, server.load_account(alice)).append_payment_op(
            bob.public_key, Asset.native(), "1"
        )
        if memo is not None:
            b.add_memo(memo)
        return server.submit_transaction(signed(b.build(), alice))

    text = paid_with(TextMemo("cuota 3/12"))
    assert (text["memo_type"], text["memo"]) == ("text", "cuota 3/12")
    assert text["memo_bytes"] == base64.b64encode(b"cuota 3/12").decode()
    big_id = paid_with(IdMemo(2**64 - 1))
    assert (big_id["memo_type"], big_id["memo"]) == ("id", "18446744073709551615")
    hashed = paid_with(HashMemo(digest))
    assert (hashed["memo_type"], hashed["memo"]) == ("hash", base64.b64encode(digest).decode())
    plain = paid_with(None)
    assert plain["memo_type"] == "none"
    assert "memo" not in plain


def test_a_ledger_counts_its_failed_transactions(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="10"), new_account()
    envelope = pay(localnet, server, alice, bob.public_key, "50")
    rejected(server, envelope)

    included = server.transactions().transaction(envelope.hash_hex()).call()
    ledger = server.ledgers().ledger(included["ledger"]).call()

    assert ledger["failed_transaction_count"] >= 1
    assert ledger["tx_set_operation_count"] >= ledger["operation_count"]
