"""Every answer from Horizon is paid, terminal for the line, retry, pause, or unknown."""

from __future__ import annotations

import pytest
from stellar_sdk import xdr

from sozu.stellar.horizon import decode_result_xdr, verdict_for
from sozu.stellar.results import Verdict, classify_op_code, classify_tx_code


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        ("op_success", Verdict.PAID),
        ("op_no_trust", Verdict.LINE_FAILED),
        ("op_no_destination", Verdict.LINE_FAILED),
        ("op_not_authorized", Verdict.LINE_FAILED),
        ("op_line_full", Verdict.LINE_FAILED),
        ("op_malformed", Verdict.LINE_FAILED),
        ("op_underfunded", Verdict.PAUSE),
        ("op_src_no_trust", Verdict.PAUSE),
        ("op_src_not_authorized", Verdict.PAUSE),
        ("op_bad_auth", Verdict.PAUSE),
    ],
)
def test_operation_codes(code: str, verdict: Verdict) -> None:
    assert classify_op_code(code) is verdict


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        ("tx_success", Verdict.PAID),
        ("tx_bad_seq", Verdict.RETRY),
        ("tx_too_late", Verdict.RETRY),
        ("tx_too_early", Verdict.RETRY),
        ("tx_insufficient_fee", Verdict.RETRY),
        ("tx_internal_error", Verdict.RETRY),
        ("tx_bad_auth", Verdict.PAUSE),
        ("tx_insufficient_balance", Verdict.PAUSE),
        ("tx_no_source_account", Verdict.PAUSE),
        ("tx_something_new", Verdict.PAUSE),  # unknown: a person looks, nothing is retried
    ],
)
def test_transaction_codes(code: str, verdict: Verdict) -> None:
    assert classify_tx_code(code) is verdict


def test_a_failed_packed_transaction_fails_lines_unless_the_org_is_at_fault() -> None:
    assert verdict_for("tx_failed", ("op_success", "op_no_trust")) is Verdict.LINE_FAILED
    assert verdict_for("tx_failed", ("op_no_trust", "op_underfunded")) is Verdict.PAUSE


def _payment_result(code: xdr.PaymentResultCode) -> xdr.OperationResult:
    return xdr.OperationResult(
        code=xdr.OperationResultCode.opINNER,
        tr=xdr.OperationResultTr(
            type=xdr.OperationType.PAYMENT, payment_result=xdr.PaymentResult(code=code)
        ),
    )


def test_result_xdr_names_each_operation_like_horizon() -> None:
    result = xdr.TransactionResult(
        fee_charged=xdr.Int64(300),
        result=xdr.TransactionResultResult(
            code=xdr.TransactionResultCode.txFAILED,
            results=[
                _payment_result(xdr.PaymentResultCode.PAYMENT_SUCCESS),
                _payment_result(xdr.PaymentResultCode.PAYMENT_NO_TRUST),
                _payment_result(xdr.PaymentResultCode.PAYMENT_SRC_NOT_AUTHORIZED),
            ],
        ),
        ext=xdr.TransactionResultExt(0),
    )
    assert decode_result_xdr(result.to_xdr()) == (
        "tx_failed",
        ("op_success", "op_no_trust", "op_src_not_authorized"),
    )
