"""Result codes: their numbers, Horizon's names for them, and TransactionResult XDR bytes."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from enum import IntEnum

from stellar_sdk import xdr as X

T = X.TransactionResultCode
OT = X.OperationType


@dataclass(frozen=True, slots=True)
class OpResult:
    """One OperationResult: `outer` is opINNER (0) or an outer failure such as opBAD_AUTH."""

    op_type: int
    code: int = 0
    outer: int = 0
    merged_balance: int | None = None  # AccountMerge success carries the source balance

    @property
    def ok(self) -> bool:
        return self.outer == 0 and self.code == 0

    def pack(self) -> bytes:
        if self.outer != 0:
            return struct.pack(">i", self.outer)
        out = struct.pack(">iii", 0, self.op_type, self.code)
        if self.merged_balance is not None and self.code == 0:
            out += struct.pack(">q", self.merged_balance)
        return out


def op_fail(op_type: int, code: IntEnum) -> OpResult:
    return OpResult(op_type, code.value)


def op_outer(op_type: int, code: X.OperationResultCode) -> OpResult:
    return OpResult(op_type, 0, code.value)


_HAS_OP_RESULTS = {T.txSUCCESS.value, T.txFAILED.value}
_HAS_INNER_PAIR = {T.txFEE_BUMP_INNER_SUCCESS.value, T.txFEE_BUMP_INNER_FAILED.value}


def _pack_results(code: int, ops: list[OpResult] | None) -> bytes:
    out = struct.pack(">i", code)
    if code in _HAS_OP_RESULTS:
        ops = ops or []
        out += struct.pack(">I", len(ops)) + b"".join(o.pack() for o in ops)
    return out


@dataclass(frozen=True, slots=True)
class TxResult:
    """A transaction's outcome; `inner_*` are set for fee bumps whose inner tx was examined."""

    code: int
    fee_charged: int
    ops: list[OpResult] | None = None
    inner_hash: bytes | None = None
    inner_code: int | None = None

    @property
    def successful(self) -> bool:
        return self.code in (T.txSUCCESS.value, T.txFEE_BUMP_INNER_SUCCESS.value)

    def to_xdr(self) -> str:
        out = struct.pack(">q", self.fee_charged)
        if self.code in _HAS_INNER_PAIR:
            assert self.inner_hash is not None and self.inner_code is not None
            out += struct.pack(">i", self.code) + self.inner_hash
            # Core reports the inner fee_charged as 0: the fee account paid the outer fee.
            out += struct.pack(">q", 0) + _pack_results(self.inner_code, self.ops)
            out += struct.pack(">i", 0)
        else:
            out += _pack_results(self.code, self.ops)
        out += struct.pack(">i", 0)
        return base64.b64encode(out).decode()

    def result_codes(self) -> dict[str, object]:
        """Horizon's `extras.result_codes`."""
        codes: dict[str, object] = {"transaction": tx_code_name(self.code)}
        if self.inner_code is not None:
            codes["inner_transaction"] = tx_code_name(self.inner_code)
        effective = self.inner_code if self.inner_code is not None else self.code
        if effective in _HAS_OP_RESULTS and self.ops:
            codes["operations"] = [op_code_name(o) for o in self.ops]
        return codes


def tx_error(code: T, fee: int = 0, ops: list[OpResult] | None = None) -> TxResult:
    return TxResult(code.value, fee, ops)


_TX_SPECIAL = {
    T.txNO_ACCOUNT.value: "tx_no_source_account",
    T.txBAD_MIN_SEQ_AGE_OR_GAP.value: "tx_bad_minseq_age_or_gap",
}


def tx_code_name(code: int) -> str:
    if code in _TX_SPECIAL:
        return _TX_SPECIAL[code]
    return "tx_" + T(code).name[2:].lower()


_OUTER_NAMES = {
    X.OperationResultCode.opBAD_AUTH.value: "op_bad_auth",
    X.OperationResultCode.opNO_ACCOUNT.value: "op_no_source_account",
    X.OperationResultCode.opNOT_SUPPORTED.value: "op_not_supported",
    X.OperationResultCode.opTOO_MANY_SUBENTRIES.value: "op_too_many_subentries",
    X.OperationResultCode.opEXCEEDED_WORK_LIMIT.value: "op_exceeded_work_limit",
    X.OperationResultCode.opTOO_MANY_SPONSORING.value: "op_too_many_sponsoring",
}

_CODE_ENUMS: dict[int, tuple[type[IntEnum], str]] = {
    OT.CREATE_ACCOUNT.value: (X.CreateAccountResultCode, "CREATE_ACCOUNT_"),
    OT.PAYMENT.value: (X.PaymentResultCode, "PAYMENT_"),
    OT.SET_OPTIONS.value: (X.SetOptionsResultCode, "SET_OPTIONS_"),
    OT.CHANGE_TRUST.value: (X.ChangeTrustResultCode, "CHANGE_TRUST_"),
    OT.ALLOW_TRUST.value: (X.AllowTrustResultCode, "ALLOW_TRUST_"),
    OT.ACCOUNT_MERGE.value: (X.AccountMergeResultCode, "ACCOUNT_MERGE_"),
    OT.MANAGE_DATA.value: (X.ManageDataResultCode, "MANAGE_DATA_"),
    OT.BUMP_SEQUENCE.value: (X.BumpSequenceResultCode, "BUMP_SEQUENCE_"),
    OT.BEGIN_SPONSORING_FUTURE_RESERVES.value: (
        X.BeginSponsoringFutureReservesResultCode,
        "BEGIN_SPONSORING_FUTURE_RESERVES_",
    ),
    OT.END_SPONSORING_FUTURE_RESERVES.value: (
        X.EndSponsoringFutureReservesResultCode,
        "END_SPONSORING_FUTURE_RESERVES_",
    ),
    OT.SET_TRUST_LINE_FLAGS.value: (X.SetTrustLineFlagsResultCode, "SET_TRUST_LINE_FLAGS_"),
}

# Horizon's spelling where it is not simply "op_" + the lower-cased XDR suffix.
_OP_SPECIAL = {
    "ALREADY_EXIST": "op_already_exists",
    "NO_TRUST_LINE": "op_no_trust",
    "TRUST_NOT_REQUIRED": "op_not_required",
    "NOT_AUTH_MAINTAIN_LIABILITIES": "op_not_aut_maintain_liabilities",
    "NAME_NOT_FOUND": "op_data_name_not_found",
    "INVALID_NAME": "op_data_invalid_name",
    "SEQNUM_TOO_FAR": "op_seq_num_too_far",
}


def op_code_name(r: OpResult) -> str:
    if r.outer != 0:
        return _OUTER_NAMES[r.outer]
    if r.code == 0:
        return "op_success"
    enum, prefix = _CODE_ENUMS[r.op_type]
    suffix = enum(r.code).name.removeprefix(prefix)
    return _OP_SPECIAL.get(suffix, "op_" + suffix.lower())
