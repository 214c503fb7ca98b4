"""Transaction-level rules: who must sign, sequence, fee, balance, source and validity windows.

Every refusal here happens before a ledger: Horizon answers 400 with `extras.result_codes` and
a decodable `result_xdr`, and the account keeps its balance and its sequence number.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from decimal import Decimal

import requests
from stellar_sdk import Account, Asset, Keypair, Network, Server, TransactionEnvelope
from stellar_sdk import xdr as stellar_xdr
from xdrlib3 import Packer

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import (
    builder,
    latest_ledger,
    op_results,
    rejected,
    result_codes,
    sequence,
    signed,
    tx_code,
    xlm,
)
from tests.localnet_process import LocalNet

Code = stellar_xdr.TransactionResultCode


def payment(
    net: LocalNet, source: Account, to: str, amount: str = "1", *, base_fee: int = 100
) -> TransactionEnvelope:
    return (
        builder(net, source, base_fee=base_fee)
        .append_payment_op(to, Asset.native(), amount)
        .build()
    )


def assert_untouched(server: Server, who: Keypair, seq: int, balance: Decimal) -> None:
    assert sequence(server, who.public_key) == seq
    assert xlm(server, who.public_key) == balance


def test_a_signature_by_the_wrong_key_is_tx_bad_auth(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob, mallory = new_account(), new_account(), Keypair.random()
    seq = sequence(server, alice.public_key)

    err = rejected(
        server, signed(payment(localnet, server.load_account(alice), bob.public_key), mallory)
    )

    assert result_codes(err) == ("tx_bad_auth", [])
    assert tx_code(err.extras["result_xdr"]) == Code.txBAD_AUTH
    assert_untouched(server, alice, seq, Decimal("100"))


def test_a_signature_for_another_network_is_tx_bad_auth(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    source = server.load_account(alice)
    testnet_tx = (
        builder(localnet, source)
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .build()
        .transaction
    )
    envelope = TransactionEnvelope(testnet_tx, Network.TESTNET_NETWORK_PASSPHRASE)

    err = rejected(server, signed(envelope, alice))

    assert result_codes(err) == ("tx_bad_auth", [])


def test_multisig_below_the_low_threshold_is_tx_bad_auth(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    treasury, bob, cosigner = new_account(), new_account(), Keypair.random()
    setup = (
        builder(localnet, server.load_account(treasury))
        .append_ed25519_public_key_signer(cosigner.public_key, weight=1)
        .append_set_options_op(low_threshold=2, med_threshold=2, high_threshold=2)
        .build()
    )
    server.submit_transaction(signed(setup, treasury))
    seq, before = sequence(server, treasury.public_key), xlm(server, treasury.public_key)

    alone = signed(payment(localnet, server.load_account(treasury), bob.public_key), treasury)
    err = rejected(server, alone)

    assert result_codes(err) == ("tx_bad_auth", [])
    assert_untouched(server, treasury, seq, before)

    together = payment(localnet, server.load_account(treasury), bob.public_key)
    record = server.submit_transaction(signed(together, treasury, cosigner))
    assert record["successful"] is True
    assert len(record["signatures"]) == 2


def test_multisig_below_the_medium_threshold_fails_the_payment_operation(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    # The transaction's own check uses the low threshold; a payment needs the medium one.
    treasury, bob, cosigner = new_account(), new_account(), Keypair.random()
    setup = (
        builder(localnet, server.load_account(treasury))
        .append_ed25519_public_key_signer(cosigner.public_key, weight=1)
        .append_set_options_op(low_threshold=1, med_threshold=2, high_threshold=2)
        .build()
    )
    server.submit_transaction(signed(setup, treasury))
    seq, before = sequence(server, treasury.public_key), xlm(server, treasury.public_key)

    err = rejected(
        server, signed(payment(localnet, server.load_account(treasury), bob.public_key), treasury)
    )

    assert result_codes(err) == ("tx_failed", ["op_bad_auth"])
    [op] = op_results(err.extras["result_xdr"])
    assert op.code == stellar_xdr.OperationResultCode.opBAD_AUTH
    assert_untouched(server, treasury, seq, before)


def test_an_operation_for_another_account_needs_that_accounts_signature(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, carol, bob = new_account(), new_account(), new_account()
    seq = sequence(server, alice.public_key)

    def carol_pays_bob() -> TransactionEnvelope:
        return (
            builder(localnet, server.load_account(alice))
            .append_payment_op(bob.public_key, Asset.native(), "7", source=carol.public_key)
            .build()
        )

    err = rejected(server, signed(carol_pays_bob(), alice))

    assert result_codes(err) == ("tx_failed", ["op_bad_auth"])
    assert_untouched(server, alice, seq, Decimal("100"))
    assert xlm(server, carol.public_key) == Decimal("100")

    record = server.submit_transaction(signed(carol_pays_bob(), alice, carol))
    assert record["successful"] is True
    assert xlm(server, carol.public_key) == Decimal("93")
    assert xlm(server, alice.public_key) == Decimal("100") - Decimal("0.00001")


def test_an_unneeded_extra_signature_is_tx_bad_auth_extra(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    seq = sequence(server, alice.public_key)
    envelope = payment(localnet, server.load_account(alice), bob.public_key)

    err = rejected(server, signed(envelope, alice, Keypair.random()))

    assert result_codes(err) == ("tx_bad_auth_extra", [])
    assert tx_code(err.extras["result_xdr"]) == Code.txBAD_AUTH_EXTRA
    assert_untouched(server, alice, seq, Decimal("100"))


def test_a_sequence_number_ahead_or_behind_is_tx_bad_seq(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    used = signed(payment(localnet, server.load_account(alice), bob.public_key), alice)
    server.submit_transaction(used)
    seq = sequence(server, alice.public_key)

    ahead = server.load_account(alice)
    ahead.sequence += 1
    behind = server.load_account(alice)
    behind.sequence -= 1
    for source in (ahead, behind):
        err = rejected(server, signed(payment(localnet, source, bob.public_key, "2"), alice))
        assert result_codes(err) == ("tx_bad_seq", [])
        assert tx_code(err.extras["result_xdr"]) == Code.txBAD_SEQ
    assert_untouched(server, alice, seq, Decimal("100") - Decimal("1.00001"))


def test_a_new_account_starts_at_its_ledger_shifted_32_bits(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    funder, newcomer = new_account(), Keypair.random()
    creation = (
        builder(localnet, server.load_account(funder))
        .append_create_account_op(newcomer.public_key, "5")
        .build()
    )
    record = server.submit_transaction(signed(creation, funder))

    assert server.load_account(newcomer).sequence == record["ledger"] << 32

    first = signed(payment(localnet, server.load_account(newcomer), funder.public_key), newcomer)
    assert server.submit_transaction(first)["source_account_sequence"] == str(
        (record["ledger"] << 32) + 1
    )


def test_a_fee_below_100_stroops_per_operation_is_tx_insufficient_fee(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    seq = sequence(server, alice.public_key)
    two_ops = (
        builder(localnet, server.load_account(alice), base_fee=99)
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .build()
    )
    assert two_ops.transaction.fee == 198

    err = rejected(server, signed(two_ops, alice))

    assert result_codes(err) == ("tx_insufficient_fee", [])
    assert tx_code(err.extras["result_xdr"]) == Code.txINSUFFICIENT_FEE
    assert_untouched(server, alice, seq, Decimal("100"))


def test_an_account_at_its_minimum_balance_cannot_pay_the_fee(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    funder, poor = new_account(), Keypair.random()
    minimum = (
        builder(localnet, server.load_account(funder))
        .append_create_account_op(poor.public_key, "1")  # two base reserves of 0.5 XLM
        .build()
    )
    server.submit_transaction(signed(minimum, funder))
    seq = sequence(server, poor.public_key)

    err = rejected(
        server,
        signed(payment(localnet, server.load_account(poor), funder.public_key, "0.0000001"), poor),
    )

    assert result_codes(err) == ("tx_insufficient_balance", [])
    assert tx_code(err.extras["result_xdr"]) == Code.txINSUFFICIENT_BALANCE
    assert_untouched(server, poor, seq, Decimal("1"))


def test_an_unknown_source_account_is_tx_no_source_account(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    ghost, bob = Keypair.random(), new_account()
    envelope = payment(localnet, Account(ghost.public_key, 1 << 32), bob.public_key)

    err = rejected(server, signed(envelope, ghost))

    assert result_codes(err) == ("tx_no_source_account", [])
    assert tx_code(err.extras["result_xdr"]) == Code.txNO_ACCOUNT


def network_now(server: Server) -> int:
    [last] = server.ledgers().order(desc=True).limit(1).call()["_embedded"]["records"]
    return int(datetime.fromisoformat(last["closed_at"].replace("Z", "+00:00")).timestamp())


def test_time_bounds_outside_now_are_tx_too_early_or_tx_too_late(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    # "Now" is the network's clock (its last ledger's close time), as a client should read it.
    seq, now = sequence(server, alice.public_key), network_now(server)

    for (low, high), code in (((now + 3600, 0), "tx_too_early"), ((0, now - 3600), "tx_too_late")):
        envelope = (
            builder(localnet, server.load_account(alice), timeout=None)
            .add_time_bounds(low, high)
            .append_payment_op(bob.public_key, Asset.native(), "1")
            .build()
        )
        err = rejected(server, signed(envelope, alice))
        assert result_codes(err) == (code, [])

    assert_untouched(server, alice, seq, Decimal("100"))


def test_ledger_bounds_gate_the_transaction_to_a_window_of_ledgers(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    seq, latest = sequence(server, alice.public_key), latest_ledger(server)

    for (low, high), code in (
        ((0, latest - 1), "tx_too_late"),
        ((latest + 10_000, 0), "tx_too_early"),
    ):
        envelope = (
            builder(localnet, server.load_account(alice))
            .set_ledger_bounds(low, high)
            .append_payment_op(bob.public_key, Asset.native(), "1")
            .build()
        )
        err = rejected(server, signed(envelope, alice))
        assert result_codes(err) == (code, [])
    assert_untouched(server, alice, seq, Decimal("100"))

    window = (
        builder(localnet, server.load_account(alice))
        .set_ledger_bounds(latest, latest + 1000)
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .build()
    )
    record = server.submit_transaction(signed(window, alice))
    assert latest <= record["ledger"] < latest + 1000
    preconditions = window.transaction.preconditions
    assert preconditions is not None and preconditions.time_bounds is not None
    time_bounds = preconditions.time_bounds
    assert record["preconditions"]["timebounds"]["max_time"] == str(time_bounds.max_time)
    assert record["preconditions"]["ledgerbounds"] == {
        "min_ledger": latest,
        "max_ledger": latest + 1000,
    }


def test_one_hundred_operations_fit_in_a_transaction(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="200"), new_account()
    many = builder(localnet, server.load_account(alice))
    for _ in range(100):
        many.append_payment_op(bob.public_key, Asset.native(), "1")

    record = server.submit_transaction(signed(many.build(), alice))

    assert record["operation_count"] == 100
    assert record["fee_charged"] == "10000"
    assert len(op_results(record["result_xdr"])) == 100
    assert xlm(server, bob.public_key) == Decimal("200")


def test_more_than_100_operations_is_refused_as_malformed(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    # XDR caps a transaction at 100 operations, so the SDKs cannot even build this one.
    alice, bob = new_account(), new_account()
    seq = sequence(server, alice.public_key)
    one_op = payment(localnet, server.load_account(alice), bob.public_key, "0.1")
    tx = one_op.transaction.to_xdr_object()
    assert isinstance(tx, stellar_xdr.Transaction)
    body = Packer()
    tx.source_account.pack(body)
    stellar_xdr.Uint32(100 * 101).pack(body)
    tx.seq_num.pack(body)
    tx.cond.pack(body)
    tx.memo.pack(body)
    body.pack_uint(101)
    for _ in range(101):
        tx.operations[0].pack(body)
    tx.ext.pack(body)
    tx_bytes = body.get_buffer()
    signature_base = Network(localnet.passphrase).network_id() + (2).to_bytes(4, "big") + tx_bytes
    envelope = Packer()
    envelope.pack_int(stellar_xdr.EnvelopeType.ENVELOPE_TYPE_TX.value)
    envelope.pack_fstring(len(tx_bytes), tx_bytes)
    envelope.pack_uint(1)
    alice.sign_decorated(hashlib.sha256(signature_base).digest()).to_xdr_object().pack(envelope)
    oversized = base64.b64encode(envelope.get_buffer()).decode()

    answer = requests.post(f"{localnet.url}/transactions", data={"tx": oversized}, timeout=30)

    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"].endswith("transaction_malformed")
    assert problem["extras"]["envelope_xdr"] == oversized
    assert_untouched(server, alice, seq, Decimal("100"))
