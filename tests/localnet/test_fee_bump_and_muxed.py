"""Fee bumps (someone else pays the fee) and custodial M-addresses as source and destination."""

from __future__ import annotations

from decimal import Decimal

from stellar_sdk import (
    Asset,
    FeeBumpTransactionEnvelope,
    Keypair,
    MuxedAccount,
    Server,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk import xdr as stellar_xdr

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import (
    builder,
    decode_result,
    rejected,
    result_codes,
    sequence,
    signed,
    xlm,
)
from tests.localnet_process import LocalNet

Code = stellar_xdr.TransactionResultCode


def fee_bump(
    net: LocalNet, fee_payer: Keypair, inner: TransactionEnvelope, base_fee: int = 200
) -> FeeBumpTransactionEnvelope:
    envelope = TransactionBuilder.build_fee_bump_transaction(
        fee_source=fee_payer.public_key,
        base_fee=base_fee,
        inner_transaction_envelope=inner,
        network_passphrase=net.passphrase,
    )
    return signed(envelope, fee_payer)


def test_a_fee_bump_is_paid_by_the_fee_account_at_base_fee_times_ops_plus_one(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    beneficiary, bob, org = new_account(), new_account(), new_account()
    seq = sequence(server, beneficiary.public_key)
    inner = signed(
        builder(localnet, server.load_account(beneficiary))
        .append_payment_op(bob.public_key, Asset.native(), "10")
        .build(),
        beneficiary,
    )
    outer = fee_bump(localnet, org, inner, base_fee=200)

    record = server.submit_transaction(outer)

    assert record["successful"] is True
    assert record["hash"] == outer.hash_hex()
    assert record["fee_account"] == org.public_key
    assert record["source_account"] == beneficiary.public_key
    assert record["fee_charged"] == "200"  # base fee 100 x (1 inner operation + 1)
    assert record["max_fee"] == "400"
    assert record["fee_bump_transaction"]["hash"] == outer.hash_hex()
    assert record["inner_transaction"]["hash"] == inner.hash_hex()
    assert record["inner_transaction"]["max_fee"] == "100"
    assert len(record["inner_transaction"]["signatures"]) == 1
    echoed = FeeBumpTransactionEnvelope.from_xdr(record["envelope_xdr"], localnet.passphrase)
    assert echoed.hash_hex() == outer.hash_hex()
    result = decode_result(record["result_xdr"])
    assert result.result.code == Code.txFEE_BUMP_INNER_SUCCESS
    assert result.fee_charged.int64 == 200
    pair = result.result.inner_result_pair
    assert pair is not None
    assert pair.transaction_hash.hash.hex() == inner.hash_hex()
    assert pair.result.result.code == Code.txSUCCESS

    assert xlm(server, org.public_key) == Decimal("100") - Decimal("0.0000200")
    assert xlm(server, beneficiary.public_key) == Decimal("90")  # paid no fee
    assert xlm(server, bob.public_key) == Decimal("110")
    assert sequence(server, beneficiary.public_key) == seq + 1

    by_inner_hash = server.transactions().transaction(inner.hash_hex()).call()
    assert by_inner_hash["hash"] == inner.hash_hex()
    assert by_inner_hash["ledger"] == record["ledger"]
    assert by_inner_hash["fee_bump_transaction"]["hash"] == outer.hash_hex()


def test_a_fee_bump_whose_inner_payment_fails_still_charges_the_fee_account(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    beneficiary, bob, org = new_account(xlm="5"), new_account(), new_account()
    seq = sequence(server, beneficiary.public_key)
    inner = signed(
        builder(localnet, server.load_account(beneficiary))
        .append_payment_op(bob.public_key, Asset.native(), "500")
        .build(),
        beneficiary,
    )
    outer = fee_bump(localnet, org, inner)

    err = rejected(server, outer)

    codes = err.extras["result_codes"]
    assert codes["transaction"] == "tx_fee_bump_inner_failed"
    assert codes["inner_transaction"] == "tx_failed"
    assert codes["operations"] == ["op_underfunded"]
    assert decode_result(err.extras["result_xdr"]).result.code == Code.txFEE_BUMP_INNER_FAILED
    included = server.transactions().transaction(outer.hash_hex()).call()
    assert included["successful"] is False
    assert included["fee_charged"] == "200"
    assert xlm(server, org.public_key) == Decimal("100") - Decimal("0.0000200")
    assert xlm(server, beneficiary.public_key) == Decimal("5")
    assert sequence(server, beneficiary.public_key) == seq + 1


def test_a_fee_bump_signed_by_nobody_is_refused(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    beneficiary, bob, org = new_account(), new_account(), new_account()
    inner = signed(
        builder(localnet, server.load_account(beneficiary))
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .build(),
        beneficiary,
    )
    unsigned = TransactionBuilder.build_fee_bump_transaction(
        fee_source=org.public_key,
        base_fee=200,
        inner_transaction_envelope=inner,
        network_passphrase=localnet.passphrase,
    )

    err = rejected(server, unsigned)

    assert result_codes(err) == ("tx_bad_auth", [])
    assert xlm(server, org.public_key) == Decimal("100")
    assert xlm(server, beneficiary.public_key) == Decimal("100")


def test_payments_between_muxed_accounts_keep_their_ids_as_strings(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    custodian, exchange = new_account(), new_account()
    sender = MuxedAccount(custodian.public_key, 42)
    receiver = MuxedAccount(exchange.public_key, 2**64 - 1)  # beyond what a JS number can hold
    assert sender.account_muxed is not None and receiver.account_muxed is not None
    source = server.load_account(sender)
    assert source.account.account_muxed == sender.account_muxed
    envelope = (
        builder(localnet, source)
        .append_payment_op(receiver.account_muxed, Asset.native(), "2")
        .build()
    )

    record = server.submit_transaction(signed(envelope, custodian))

    assert record["source_account"] == custodian.public_key
    assert record["account_muxed"] == sender.account_muxed
    assert record["account_muxed_id"] == "42"
    assert record["fee_account"] == custodian.public_key
    assert record["fee_account_muxed"] == sender.account_muxed
    [payment] = server.payments().for_transaction(record["hash"]).call()["_embedded"]["records"]
    assert payment["type"] == "payment"
    assert payment["from"] == custodian.public_key
    assert payment["from_muxed"] == sender.account_muxed
    assert payment["from_muxed_id"] == "42"
    assert payment["to"] == exchange.public_key
    assert payment["to_muxed"] == receiver.account_muxed
    assert payment["to_muxed_id"] == "18446744073709551615"
    assert payment["amount"] == "2.0000000"
    assert xlm(server, exchange.public_key) == Decimal("102")
    assert xlm(server, custodian.public_key) == Decimal("98") - Decimal("0.0000100")


def test_a_fee_bump_from_a_muxed_fee_account(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    beneficiary, bob, org = new_account(), new_account(), new_account()
    muxed_org = MuxedAccount(org.public_key, 7)
    inner = signed(
        builder(localnet, server.load_account(beneficiary))
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .build(),
        beneficiary,
    )
    outer = TransactionBuilder.build_fee_bump_transaction(
        fee_source=muxed_org,
        base_fee=200,
        inner_transaction_envelope=inner,
        network_passphrase=localnet.passphrase,
    )

    record = server.submit_transaction(signed(outer, org))

    assert record["fee_account"] == org.public_key
    assert record["fee_account_muxed"] == muxed_org.account_muxed
    assert record["fee_account_muxed_id"] == "7"
    assert xlm(server, org.public_key) == Decimal("100") - Decimal("0.0000200")
