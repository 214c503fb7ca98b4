"""What a Horizon answer means for a payment: paid, terminal for the line, retry, or pause."""

from __future__ import annotations

import enum


class Verdict(enum.StrEnum):
    """How the engine must treat an outcome."""

    #: The payment is in a ledger and succeeded.
    PAID = "paid"
    #: The destination cannot receive this payment; retrying will not help.
    LINE_FAILED = "line_failed"
    #: Nothing was paid; build again (new sequence, fee or time bounds) and retry.
    RETRY = "retry"
    #: The organization must act (fund the wallet, fix signers): stop paying.
    PAUSE = "pause"
    #: We do not know whether the network included it; ask again, never pay twice.
    UNKNOWN = "unknown"


#: Operation result codes that condemn only the line that caused them.
LINE_TERMINAL_OP_CODES = frozenset(
    {
        "op_no_trust",
        "op_no_destination",
        "op_not_authorized",
        "op_line_full",
        "op_malformed",
        "op_no_issuer",
        "op_low_reserve",
    }
)
#: Operation result codes caused by the paying organization, not by the line.
PAUSE_OP_CODES = frozenset(
    {"op_underfunded", "op_src_no_trust", "op_src_not_authorized", "op_bad_auth"}
)
#: Transaction-level codes: the transaction never reached a ledger and can be rebuilt.
RETRY_TX_CODES = frozenset(
    {
        "tx_bad_seq",
        "tx_too_late",
        "tx_too_early",
        "tx_insufficient_fee",
        "tx_internal_error",
        "tx_bad_min_seq_age_or_gap",
    }
)
#: Transaction-level codes that need a person: broken signers, channels without XLM.
PAUSE_TX_CODES = frozenset(
    {
        "tx_bad_auth",
        "tx_bad_auth_extra",
        "tx_insufficient_balance",
        "tx_no_source_account",
        "tx_bad_sponsorship",
        "tx_malformed",
        "tx_not_supported",
    }
)


def classify_op_code(code: str) -> Verdict:
    if code == "op_success":
        return Verdict.PAID
    if code in LINE_TERMINAL_OP_CODES:
        return Verdict.LINE_FAILED
    if code in PAUSE_OP_CODES:
        return Verdict.PAUSE
    # An unknown operation failure is safest treated as terminal for the line: it was
    # included and failed, so nothing was paid, and a person can retry it explicitly.
    return Verdict.LINE_FAILED


def classify_tx_code(code: str) -> Verdict:
    if code in ("tx_success", "tx_fee_bump_inner_success"):
        return Verdict.PAID
    if code in RETRY_TX_CODES:
        return Verdict.RETRY
    if code in PAUSE_TX_CODES:
        return Verdict.PAUSE
    return Verdict.PAUSE
