"""Supported operations: their signing threshold, submission checks and apply functions."""

from __future__ import annotations

from collections.abc import Callable

from stellar_sdk import xdr as X

from sozu.localnet.ops import account, payments, trust
from sozu.localnet.ops.base import ApplyContext
from sozu.localnet.results import OpResult
from sozu.localnet.state import Account

OT = X.OperationType
Check = Callable[[X.OperationBody, str], OpResult | None]
Apply = Callable[[ApplyContext, X.OperationBody, Account], OpResult]

LOW, MED, HIGH = 0, 1, 2

CHECKS: dict[int, Check] = {
    OT.CREATE_ACCOUNT.value: payments.check_create_account,
    OT.PAYMENT.value: payments.check_payment,
    OT.ACCOUNT_MERGE.value: payments.check_account_merge,
    OT.SET_OPTIONS.value: account.check_set_options,
    OT.MANAGE_DATA.value: account.check_manage_data,
    OT.BUMP_SEQUENCE.value: account.check_bump_sequence,
    OT.BEGIN_SPONSORING_FUTURE_RESERVES.value: account.check_begin_sponsoring,
    OT.END_SPONSORING_FUTURE_RESERVES.value: lambda body, source: None,
    OT.CHANGE_TRUST.value: trust.check_change_trust,
    OT.ALLOW_TRUST.value: trust.check_allow_trust,
    OT.SET_TRUST_LINE_FLAGS.value: trust.check_set_trust_line_flags,
}

APPLIERS: dict[int, Apply] = {
    OT.CREATE_ACCOUNT.value: payments.apply_create_account,
    OT.PAYMENT.value: payments.apply_payment,
    OT.ACCOUNT_MERGE.value: payments.apply_account_merge,
    OT.SET_OPTIONS.value: account.apply_set_options,
    OT.MANAGE_DATA.value: account.apply_manage_data,
    OT.BUMP_SEQUENCE.value: account.apply_bump_sequence,
    OT.BEGIN_SPONSORING_FUTURE_RESERVES.value: account.apply_begin_sponsoring,
    OT.END_SPONSORING_FUTURE_RESERVES.value: account.apply_end_sponsoring,
    OT.CHANGE_TRUST.value: trust.apply_change_trust,
    OT.ALLOW_TRUST.value: trust.apply_allow_trust,
    OT.SET_TRUST_LINE_FLAGS.value: trust.apply_set_trust_line_flags,
}

# Ops whose apply function returns every failure before its first write; they need no
# savepoint of their own (a savepoint copies each touched account).
CHECKED_BEFORE_WRITING = {
    OT.CREATE_ACCOUNT.value,
    OT.PAYMENT.value,
    OT.BUMP_SEQUENCE.value,
    OT.MANAGE_DATA.value,
    OT.CHANGE_TRUST.value,
    OT.BEGIN_SPONSORING_FUTURE_RESERVES.value,
    OT.END_SPONSORING_FUTURE_RESERVES.value,
}

_LOW_OPS = {OT.ALLOW_TRUST.value, OT.SET_TRUST_LINE_FLAGS.value, OT.BUMP_SEQUENCE.value}


def threshold_level(op_type: int, body: X.OperationBody) -> int:
    """Which of the source account's thresholds an operation must meet."""
    if op_type in _LOW_OPS:
        return LOW
    if op_type == OT.ACCOUNT_MERGE.value:
        return HIGH
    if op_type == OT.SET_OPTIONS.value and account.set_options_is_high(body):
        return HIGH
    return MED


def needed_weight(acc: Account, level: int) -> int:
    return (acc.low_threshold, acc.med_threshold, acc.high_threshold)[level]
