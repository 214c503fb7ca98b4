"""Operation result codes of payment, create_account, change_trust and set_options.

A failure found while applying (no trust, underfunded, ...) is still a transaction in a ledger:
fee charged, sequence consumed, `successful: false`. A malformed operation is refused outright.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stellar_sdk import Asset, Keypair, Server, Signer, TransactionEnvelope
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.operation.set_options import AuthorizationFlag

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import (
    FEE,
    account_record,
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


def assert_failed_in_ledger(server: Server, envelope: TransactionEnvelope, err: Any) -> None:
    """The refused-looking answer was a transaction included as failed."""
    included = server.transactions().transaction(envelope.hash_hex()).call()
    assert included["successful"] is False
    assert included["fee_charged"] == str(100 * len(envelope.transaction.operations))
    source = envelope.transaction.source.account_id
    assert sequence(server, source) == envelope.transaction.sequence
    assert included["result_xdr"] == err.extras["result_xdr"]


def send(
    net: LocalNet, server: Server, payer: Keypair, to: str, amount: str, asset: Asset
) -> TransactionEnvelope:
    source = server.load_account(payer)
    return signed(builder(net, source).append_payment_op(to, asset, amount).build(), payer)


def test_paying_more_usdc_than_held_is_op_underfunded(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(usdc="5"), new_account(usdc="1")
    envelope = send(localnet, server, alice, bob.public_key, "10", usdc(localnet))

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_underfunded"])
    [op] = op_results(err.extras["result_xdr"])
    assert inner_code(op) == PaymentCode.PAYMENT_UNDERFUNDED
    assert_failed_in_ledger(server, envelope, err)
    assert balance(server, alice.public_key, usdc(localnet)) == Decimal("5")


def test_paying_usdc_to_an_account_without_trustline_is_op_no_trust(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(usdc="10"), new_account()
    envelope = send(localnet, server, alice, bob.public_key, "1", usdc(localnet))

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_no_trust"])
    assert inner_code(op_results(err.extras["result_xdr"])[0]) == PaymentCode.PAYMENT_NO_TRUST
    assert_failed_in_ledger(server, envelope, err)


def test_paying_usdc_without_holding_a_trustline_is_op_src_no_trust(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account(usdc="1")
    envelope = send(localnet, server, alice, bob.public_key, "1", usdc(localnet))

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_src_no_trust"])
    assert_failed_in_ledger(server, envelope, err)


def test_paying_an_account_that_does_not_exist_is_op_no_destination(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice = new_account(xlm="100")
    envelope = send(localnet, server, alice, Keypair.random().public_key, "5", Asset.native())

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_no_destination"])
    assert_failed_in_ledger(server, envelope, err)
    assert xlm(server, alice.public_key) == Decimal("100") - FEE


def test_paying_beyond_the_trustline_limit_is_op_line_full(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(usdc="50"), new_account()
    trust = builder(localnet, server.load_account(bob)).append_change_trust_op(
        usdc(localnet), limit="10"
    )
    server.submit_transaction(signed(trust.build(), bob))
    [line] = [b for b in account_record(server, bob.public_key)["balances"] if "limit" in b]
    assert line["limit"] == "10.0000000"
    envelope = send(localnet, server, alice, bob.public_key, "20", usdc(localnet))

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_line_full"])
    assert_failed_in_ledger(server, envelope, err)
    assert balance(server, bob.public_key, usdc(localnet)) == Decimal("0")


def test_an_issuer_requiring_authorization_cannot_pay_an_unauthorized_holder(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    issuer, holder = new_account(), new_account()
    strict = builder(localnet, server.load_account(issuer)).append_set_options_op(
        set_flags=AuthorizationFlag.AUTHORIZATION_REQUIRED
        | AuthorizationFlag.AUTHORIZATION_REVOCABLE
    )
    server.submit_transaction(signed(strict.build(), issuer))
    token = Asset("SOZU", issuer.public_key)
    trust = builder(localnet, server.load_account(holder)).append_change_trust_op(token)
    server.submit_transaction(signed(trust.build(), holder))
    [line] = [b for b in account_record(server, holder.public_key)["balances"] if "limit" in b]
    assert line["is_authorized"] is False
    envelope = send(localnet, server, issuer, holder.public_key, "1", token)

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_not_authorized"])
    assert_failed_in_ledger(server, envelope, err)


def test_creating_an_account_below_the_minimum_balance_is_op_low_reserve(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    funder, newcomer = new_account(), Keypair.random()
    envelope = (
        builder(localnet, server.load_account(funder))
        .append_create_account_op(newcomer.public_key, "0.5")
        .build()
    )

    err = rejected(server, signed(envelope, funder))

    assert result_codes(err) == ("tx_failed", ["op_low_reserve"])
    code = inner_code(op_results(err.extras["result_xdr"])[0])
    assert code == stellar_xdr.CreateAccountResultCode.CREATE_ACCOUNT_LOW_RESERVE
    assert_failed_in_ledger(server, envelope, err)


def test_creating_an_account_that_exists_is_op_already_exists(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    funder, bob = new_account(), new_account()
    envelope = signed(
        builder(localnet, server.load_account(funder))
        .append_create_account_op(bob.public_key, "5")
        .build(),
        funder,
    )

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_already_exists"])
    assert_failed_in_ledger(server, envelope, err)
    assert xlm(server, bob.public_key) == Decimal("100")


def test_a_trustline_without_the_reserve_for_it_is_op_low_reserve(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    funder, thin = new_account(), Keypair.random()
    create = (
        builder(localnet, server.load_account(funder))
        .append_create_account_op(thin.public_key, "1.0001")  # a trustline needs 1.5 XLM
        .build()
    )
    server.submit_transaction(signed(create, funder))
    envelope = signed(
        builder(localnet, server.load_account(thin)).append_change_trust_op(usdc(localnet)).build(),
        thin,
    )

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_low_reserve"])
    assert_failed_in_ledger(server, envelope, err)
    assert account_record(server, thin.public_key)["subentry_count"] == 0


def test_a_zero_amount_payment_is_malformed_and_never_reaches_a_ledger(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    seq = sequence(server, alice.public_key)
    envelope = send(localnet, server, alice, bob.public_key, "0", Asset.native())

    err = rejected(server, envelope)

    assert result_codes(err) == ("tx_failed", ["op_malformed"])
    assert inner_code(op_results(err.extras["result_xdr"])[0]) == PaymentCode.PAYMENT_MALFORMED
    assert sequence(server, alice.public_key) == seq
    assert xlm(server, alice.public_key) == Decimal("100")


def test_change_trust_creates_updates_and_removes_a_trustline(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    bob = new_account()

    for limit, shown in (
        (None, "922337203685.4775807"),  # no limit given: the largest int64 amount
        ("1000", "1000.0000000"),
        ("250.5", "250.5000000"),
    ):
        op = builder(localnet, server.load_account(bob)).append_change_trust_op(
            usdc(localnet), limit=limit
        )
        server.submit_transaction(signed(op.build(), bob))
        [line] = [b for b in account_record(server, bob.public_key)["balances"] if "limit" in b]
        assert line["limit"] == shown
        assert line["balance"] == "0.0000000"
    assert account_record(server, bob.public_key)["subentry_count"] == 1

    removal = builder(localnet, server.load_account(bob)).append_change_trust_op(
        usdc(localnet), limit="0"
    )
    server.submit_transaction(signed(removal.build(), bob))
    record = account_record(server, bob.public_key)
    assert [b["asset_type"] for b in record["balances"]] == ["native"]
    assert record["subentry_count"] == 0


def test_change_trust_refusals_name_their_reason(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    holder = new_account(usdc="20")
    cases = (
        (Asset("GHOST", Keypair.random().public_key), "100", "op_no_issuer"),
        (usdc(localnet), "5", "op_invalid_limit"),  # below the 20 USDC held
        (Asset("NEW", localnet.usdc_issuer), "0", "op_invalid_limit"),  # no line to remove
    )
    for asset, limit, code in cases:
        envelope = signed(
            builder(localnet, server.load_account(holder))
            .append_change_trust_op(asset, limit=limit)
            .build(),
            holder,
        )
        err = rejected(server, envelope)
        assert result_codes(err) == ("tx_failed", [code]), code
        assert_failed_in_ledger(server, envelope, err)
    assert balance(server, holder.public_key, usdc(localnet)) == Decimal("20")


def test_set_options_refusals_name_their_reason(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice = new_account()
    seq = sequence(server, alice.public_key)
    cases: tuple[tuple[dict[str, Any], str], ...] = (
        ({"signer": Signer.ed25519_public_key(alice.public_key, 1)}, "op_bad_signer"),
        ({"low_threshold": 256}, "op_threshold_out_of_range"),
        (
            {
                "set_flags": AuthorizationFlag.AUTHORIZATION_REQUIRED,
                "clear_flags": AuthorizationFlag.AUTHORIZATION_REQUIRED,
            },
            "op_bad_flags",
        ),
    )
    for options, code in cases:
        envelope = builder(localnet, server.load_account(alice)).append_set_options_op(**options)
        err = rejected(server, signed(envelope.build(), alice))
        assert result_codes(err) == ("tx_failed", [code]), code

    # All three are malformed operations: refused before any ledger.
    assert sequence(server, alice.public_key) == seq
    assert xlm(server, alice.public_key) == Decimal("100")
