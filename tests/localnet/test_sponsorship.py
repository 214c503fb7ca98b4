"""An organization sponsors the reserves of a beneficiary's account and USDC trustline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stellar_sdk import Keypair, Server
from stellar_sdk.exceptions import NotFoundError

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import (
    account_record,
    balance,
    builder,
    rejected,
    result_codes,
    sequence,
    signed,
    tx_code,
    usdc,
    xlm,
)
from tests.localnet_process import LocalNet


def sponsor_new_account(
    net: LocalNet, server: Server, sponsor: Keypair, beneficiary: Keypair
) -> dict[str, object]:
    envelope = (
        builder(net, server.load_account(sponsor))
        .append_begin_sponsoring_future_reserves_op(beneficiary.public_key)
        .append_create_account_op(beneficiary.public_key, "0")
        .append_end_sponsoring_future_reserves_op(source=beneficiary.public_key)
        .build()
    )
    return server.submit_transaction(signed(envelope, sponsor, beneficiary))


def sponsor_usdc_trustline(
    net: LocalNet, server: Server, sponsor: Keypair, beneficiary: Keypair
) -> dict[str, object]:
    envelope = (
        builder(net, server.load_account(sponsor))
        .append_begin_sponsoring_future_reserves_op(beneficiary.public_key)
        .append_change_trust_op(usdc(net), source=beneficiary.public_key)
        .append_end_sponsoring_future_reserves_op(source=beneficiary.public_key)
        .build()
    )
    return server.submit_transaction(signed(envelope, sponsor, beneficiary))


def test_a_sponsored_account_exists_with_zero_xlm(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    org, beneficiary = new_account(xlm="100"), Keypair.random()

    record = sponsor_new_account(localnet, server, org, beneficiary)

    assert record["successful"] is True
    assert record["fee_charged"] == "300"
    created = account_record(server, beneficiary.public_key)
    assert created["sponsor"] == org.public_key
    assert created["num_sponsored"] == 2  # an account entry takes two base reserves
    assert created["num_sponsoring"] == 0
    assert [(b["asset_type"], b["balance"]) for b in created["balances"]] == [
        ("native", "0.0000000")
    ]
    sponsor = account_record(server, org.public_key)
    assert sponsor["num_sponsoring"] == 2
    assert sponsor["num_sponsored"] == 0
    assert xlm(server, org.public_key) == Decimal("100") - Decimal("0.0000300")


def test_a_sponsored_trustline_lets_a_zero_xlm_account_receive_usdc(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    org, payer, beneficiary = new_account(), new_account(usdc="20"), Keypair.random()
    sponsor_new_account(localnet, server, org, beneficiary)

    sponsor_usdc_trustline(localnet, server, org, beneficiary)

    holder = account_record(server, beneficiary.public_key)
    assert holder["subentry_count"] == 1
    assert holder["num_sponsored"] == 3
    [line] = [b for b in holder["balances"] if b["asset_type"] != "native"]
    assert line["sponsor"] == org.public_key
    assert line["is_authorized"] is True
    assert account_record(server, org.public_key)["num_sponsoring"] == 3

    payment = (
        builder(localnet, server.load_account(payer))
        .append_payment_op(beneficiary.public_key, usdc(localnet), "12.5")
        .build()
    )
    server.submit_transaction(signed(payment, payer))
    assert balance(server, beneficiary.public_key, usdc(localnet)) == Decimal("12.5")
    assert xlm(server, beneficiary.public_key) == Decimal("0")


def test_a_zero_xlm_account_cannot_pay_its_own_fee(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    org, beneficiary = new_account(), Keypair.random()
    sponsor_new_account(localnet, server, org, beneficiary)
    seq = sequence(server, beneficiary.public_key)
    own = (
        builder(localnet, server.load_account(beneficiary))
        .append_manage_data_op("hola", b"mundo")
        .build()
    )

    err = rejected(server, signed(own, beneficiary))

    assert result_codes(err) == ("tx_insufficient_balance", [])
    assert sequence(server, beneficiary.public_key) == seq


def test_a_sponsorship_left_open_fails_the_transaction_in_its_ledger(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    org, beneficiary = new_account(xlm="100"), Keypair.random()
    seq = sequence(server, org.public_key)
    dangling = signed(
        builder(localnet, server.load_account(org))
        .append_begin_sponsoring_future_reserves_op(beneficiary.public_key)
        .append_create_account_op(beneficiary.public_key, "0")
        .build(),
        org,
    )

    err = rejected(server, dangling)

    assert result_codes(err)[0] == "tx_bad_sponsorship"
    assert tx_code(err.extras["result_xdr"]).name == "txBAD_SPONSORSHIP"
    included = server.transactions().transaction(dangling.hash_hex()).call()
    assert included["successful"] is False
    assert included["fee_charged"] == "200"
    assert sequence(server, org.public_key) == seq + 1
    assert xlm(server, org.public_key) == Decimal("100") - Decimal("0.0000200")
    assert account_record(server, org.public_key)["num_sponsoring"] == 0
    with pytest.raises(NotFoundError):
        server.load_account(beneficiary.public_key)


def test_sponsoring_without_the_beneficiary_signature_is_refused(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    # end_sponsoring_future_reserves has the beneficiary as source, so it must sign too.
    org, beneficiary = new_account(), Keypair.random()
    seq = sequence(server, org.public_key)
    envelope = (
        builder(localnet, server.load_account(org))
        .append_begin_sponsoring_future_reserves_op(beneficiary.public_key)
        .append_create_account_op(beneficiary.public_key, "0")
        .append_end_sponsoring_future_reserves_op(source=beneficiary.public_key)
        .build()
    )

    err = rejected(server, signed(envelope, org))

    transaction_code, operations = result_codes(err)
    assert transaction_code == "tx_failed"
    assert "op_bad_auth" in operations
    assert sequence(server, org.public_key) == seq
    assert xlm(server, org.public_key) == Decimal("100")
