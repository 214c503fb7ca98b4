"""Operation semantics beyond payments: merge, data, trustline limits, flags, one-time signers."""

from __future__ import annotations

from stellar_sdk import Asset, TrustLineFlags
from stellar_sdk import xdr as X
from stellar_sdk.operation.set_options import AuthorizationFlag
from stellar_sdk.signer import Signer

from sozu.localnet.closer import close_ledger
from sozu.localnet.network import Status
from sozu.localnet.tests.conftest import Ledger

XLM = 10_000_000


def test_account_merge_moves_the_balance_and_reports_it(ledger: Ledger) -> None:
    # Accounts created in this ledger have seq ledger << 32: merging needs a later ledger.
    leaving, staying = ledger.fund("20"), ledger.fund("10")
    te = ledger.builder(leaving).append_account_merge_op(staying.public_key).build()
    te.sign(leaving)

    rec = ledger.include(te)

    assert rec["successful"] is True, rec["_codes"]
    assert ledger.net.state.get(leaving.public_key) is None
    assert ledger.xlm(staying) == 30 * XLM - 100
    result = X.TransactionResult.from_xdr(rec["result_xdr"])
    [op] = result.result.results or []
    merged = op.tr.account_merge_result if op.tr else None
    assert merged is not None and merged.source_account_balance is not None
    assert merged.source_account_balance.int64 == 20 * XLM - 100


def test_manage_data_sets_updates_and_deletes_with_the_reserve(ledger: Ledger) -> None:
    alice = ledger.fund("10")
    for value in (b"1", b"2", None):
        te = ledger.builder(alice).append_manage_data_op("config.memo_required", value).build()
        te.sign(alice)
        assert ledger.include(te)["successful"] is True
        acc = ledger.net.state.get(alice.public_key)
        assert acc is not None
        assert acc.data.get("config.memo_required", (None,))[0] == value
        assert acc.num_subentries == (0 if value is None else 1)

    missing = ledger.builder(alice).append_manage_data_op("nope", None).build()
    missing.sign(alice)
    assert ledger.include(missing)["_codes"]["operations"] == ["op_data_name_not_found"]


def test_a_trustline_with_a_balance_cannot_be_removed_or_limited_below_it(ledger: Ledger) -> None:
    holder = ledger.fund("10", usdc="5")
    for limit in ("0", "4"):
        te = ledger.builder(holder).append_change_trust_op(ledger.usdc, limit=limit).build()
        te.sign(holder)
        assert ledger.include(te)["_codes"]["operations"] == ["op_invalid_limit"]


def test_clawback_needs_revocable_and_revoking_needs_it_too(ledger: Ledger) -> None:
    issuer, holder = ledger.fund("10"), ledger.fund("10")
    clawback = ledger.builder(issuer).append_set_options_op(
        set_flags=AuthorizationFlag.AUTHORIZATION_CLAWBACK_ENABLED
    )
    te = clawback.build()
    te.sign(issuer)
    assert ledger.include(te)["_codes"]["operations"] == ["op_auth_revocable_required"]

    token = Asset("TOK", issuer.public_key)
    trust = ledger.builder(holder).append_change_trust_op(token).build()
    trust.sign(holder)
    assert ledger.include(trust)["successful"] is True
    revoke = (
        ledger.builder(issuer)
        .append_set_trust_line_flags_op(
            holder.public_key, token, clear_flags=TrustLineFlags.AUTHORIZED_FLAG
        )
        .build()
    )
    revoke.sign(issuer)
    assert ledger.include(revoke)["_codes"]["operations"] == ["op_cant_revoke"]


def test_a_pre_authorized_transaction_signs_once_and_its_signer_is_removed(
    ledger: Ledger,
) -> None:
    alice, bob = ledger.fund("10"), ledger.fund("10")
    seq = ledger.seq(alice)
    later = ledger.builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    later.transaction.sequence = seq + 2
    add = (
        ledger.builder(alice)
        .append_set_options_op(signer=Signer.pre_auth_tx(later.hash(), 1))
        .build()
    )
    add.sign(alice)
    assert ledger.include(add)["successful"] is True

    status, err, _ = ledger.submit(later)  # no signature at all: the pre-auth signer suffices

    assert status is Status.PENDING, err and err.result_codes()
    close_ledger(ledger.net)
    acc = ledger.net.state.get(alice.public_key)
    assert acc is not None and acc.signers == {} and acc.num_subentries == 0
    assert ledger.xlm(bob) == 11 * XLM


def test_an_unsupported_operation_is_refused_at_submission(ledger: Ledger) -> None:
    alice = ledger.fund("10")
    te = (
        ledger.builder(alice)
        .append_manage_sell_offer_op(Asset.native(), ledger.usdc, "1", "1")
        .build()
    )
    te.sign(alice)

    status, err, _ = ledger.submit(te)

    assert status is Status.ERROR and err is not None
    assert err.result_codes() == {"transaction": "tx_failed", "operations": ["op_not_supported"]}
