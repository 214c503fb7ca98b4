"""A batch of operations in one transaction applies in order, all together or not at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stellar_sdk import Asset, Keypair, Server
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.exceptions import NotFoundError

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import (
    balance,
    builder,
    inner_code,
    op_results,
    rejected,
    result_codes,
    sequence,
    signed,
    usdc,
    xlm,
)
from tests.localnet_process import LocalNet

PaymentCode = stellar_xdr.PaymentResultCode


def test_a_failing_second_payment_undoes_the_first_and_third(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice = new_account(xlm="100", usdc="30")
    bob, carol, dave = new_account(), new_account(), new_account()
    alice_xlm, seq = xlm(server, alice.public_key), sequence(server, alice.public_key)
    batch = (
        builder(localnet, server.load_account(alice))
        .append_payment_op(bob.public_key, Asset.native(), "10")
        .append_payment_op(carol.public_key, usdc(localnet), "5")  # carol has no USDC trustline
        .append_payment_op(dave.public_key, Asset.native(), "10")
        .build()
    )

    err = rejected(server, signed(batch, alice))

    # Every operation is still evaluated and reported; the ledger keeps none of them.
    assert result_codes(err) == ("tx_failed", ["op_success", "op_no_trust", "op_success"])
    first, second, third = op_results(err.extras["result_xdr"])
    assert inner_code(first) == PaymentCode.PAYMENT_SUCCESS
    assert inner_code(second) == PaymentCode.PAYMENT_NO_TRUST
    assert inner_code(third) == PaymentCode.PAYMENT_SUCCESS

    included = server.transactions().transaction(batch.hash_hex()).call()
    assert included["successful"] is False
    assert included["fee_charged"] == "300"
    assert xlm(server, alice.public_key) == alice_xlm - Decimal("0.0000300")
    assert balance(server, alice.public_key, usdc(localnet)) == Decimal("30")
    assert xlm(server, bob.public_key) == Decimal("100")
    assert xlm(server, dave.public_key) == Decimal("100")
    assert sequence(server, alice.public_key) == seq + 1


def test_later_operations_see_what_earlier_ones_did(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, newcomer = new_account(xlm="100", usdc="40"), Keypair.random()
    relay, carol = new_account(usdc="0.0000001"), new_account(usdc="1")
    batch = (
        builder(localnet, server.load_account(alice))
        .append_create_account_op(newcomer.public_key, "5")
        .append_payment_op(newcomer.public_key, Asset.native(), "3")
        .append_payment_op(relay.public_key, usdc(localnet), "25")
        .append_payment_op(carol.public_key, usdc(localnet), "25", source=relay.public_key)
        .build()
    )

    record = server.submit_transaction(signed(batch, alice, relay))

    assert record["successful"] is True
    assert record["operation_count"] == 4
    assert record["fee_charged"] == "400"
    assert xlm(server, newcomer.public_key) == Decimal("8")
    assert balance(server, relay.public_key, usdc(localnet)) == Decimal("0.0000001")
    assert balance(server, carol.public_key, usdc(localnet)) == Decimal("26")
    assert balance(server, alice.public_key, usdc(localnet)) == Decimal("15")


def test_an_operation_that_depends_on_a_failed_one_fails_too(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, newcomer = new_account(xlm="100"), Keypair.random()
    batch = (
        builder(localnet, server.load_account(alice))
        .append_create_account_op(newcomer.public_key, "0.1")  # below the reserve
        .append_payment_op(newcomer.public_key, Asset.native(), "3")
        .build()
    )

    err = rejected(server, signed(batch, alice))

    assert result_codes(err) == ("tx_failed", ["op_low_reserve", "op_no_destination"])
    assert xlm(server, alice.public_key) == Decimal("100") - Decimal("0.0000200")
    with pytest.raises(NotFoundError):
        server.load_account(newcomer.public_key)
