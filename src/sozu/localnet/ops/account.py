"""Operations on the account itself: set_options, manage_data, bump_sequence, sponsorship."""

from __future__ import annotations

import base64

from stellar_sdk import xdr as X

from sozu.localnet.ops.base import (
    ApplyContext,
    g_address,
    release_sponsorship,
    sponsor_new_entries,
)
from sozu.localnet.results import OpResult, op_fail, op_outer
from sozu.localnet.signatures import signer_key_strkey
from sozu.localnet.state import (
    ALL_ACCOUNT_FLAGS,
    AUTH_CLAWBACK_ENABLED,
    AUTH_IMMUTABLE,
    AUTH_REQUIRED,
    AUTH_REVOCABLE,
    MAX_SIGNERS,
    MAX_SUBENTRIES,
    Account,
)

SO = X.SetOptionsResultCode
MD = X.ManageDataResultCode
BS = X.BumpSequenceResultCode
BEGIN = X.BeginSponsoringFutureReservesResultCode
END = X.EndSponsoringFutureReservesResultCode
T_SET = X.OperationType.SET_OPTIONS.value
T_DATA = X.OperationType.MANAGE_DATA.value
T_BUMP = X.OperationType.BUMP_SEQUENCE.value
T_BEGIN = X.OperationType.BEGIN_SPONSORING_FUTURE_RESERVES.value
T_END = X.OperationType.END_SPONSORING_FUTURE_RESERVES.value


def _u32(v: X.Uint32 | None) -> int | None:
    return None if v is None else v.uint32


def set_options_is_high(body: X.OperationBody) -> bool:
    op = body.set_options_op
    assert op is not None
    return any(
        x is not None
        for x in (
            op.master_weight,
            op.low_threshold,
            op.med_threshold,
            op.high_threshold,
            op.signer,
        )
    )


def check_set_options(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.set_options_op
    assert op is not None
    set_f, clear_f = _u32(op.set_flags) or 0, _u32(op.clear_flags) or 0
    if (set_f | clear_f) & ~ALL_ACCOUNT_FLAGS:
        return op_fail(T_SET, SO.SET_OPTIONS_UNKNOWN_FLAG)
    if set_f & clear_f:
        return op_fail(T_SET, SO.SET_OPTIONS_BAD_FLAGS)
    for v in (op.master_weight, op.low_threshold, op.med_threshold, op.high_threshold):
        if v is not None and v.uint32 > 255:
            return op_fail(T_SET, SO.SET_OPTIONS_THRESHOLD_OUT_OF_RANGE)
    if op.signer is not None:
        key = signer_key_strkey(op.signer.key)
        if key is None or key == source or op.signer.weight.uint32 > 255:
            return op_fail(T_SET, SO.SET_OPTIONS_BAD_SIGNER)
    if op.home_domain is not None:
        domain = op.home_domain.string32
        if any(c < 0x20 or c > 0x7E for c in domain):
            return op_fail(T_SET, SO.SET_OPTIONS_INVALID_HOME_DOMAIN)
    return None


def apply_set_options(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.set_options_op
    assert op is not None
    acc = ctx.state.edit(source.account_id)
    assert acc is not None
    set_f, clear_f = _u32(op.set_flags), _u32(op.clear_flags)
    if set_f is not None or clear_f is not None:
        if acc.flags & AUTH_IMMUTABLE:
            return op_fail(T_SET, SO.SET_OPTIONS_CANT_CHANGE)
        flags = (acc.flags & ~(clear_f or 0)) | (set_f or 0)
        if flags & AUTH_CLAWBACK_ENABLED and not flags & AUTH_REVOCABLE:
            return op_fail(T_SET, SO.SET_OPTIONS_AUTH_REVOCABLE_REQUIRED)
        changed = acc.flags ^ flags
        acc.flags = flags
        if changed & (AUTH_REQUIRED | AUTH_REVOCABLE):
            flag_fields = {}
            if changed & AUTH_REQUIRED:
                flag_fields["auth_required_flag"] = bool(flags & AUTH_REQUIRED)
            if changed & AUTH_REVOCABLE:
                flag_fields["auth_revokable_flag"] = bool(flags & AUTH_REVOCABLE)
            ctx.effect(acc.account_id, "account_flags_updated", **flag_fields)
    if op.home_domain is not None:
        acc.home_domain = op.home_domain.string32.decode()
        ctx.effect(acc.account_id, "account_home_domain_updated", home_domain=acc.home_domain)
    if op.low_threshold is not None:
        acc.low_threshold = op.low_threshold.uint32
    if op.med_threshold is not None:
        acc.med_threshold = op.med_threshold.uint32
    if op.high_threshold is not None:
        acc.high_threshold = op.high_threshold.uint32
    if any(t is not None for t in (op.low_threshold, op.med_threshold, op.high_threshold)):
        ctx.effect(
            acc.account_id,
            "account_thresholds_updated",
            low_threshold=acc.low_threshold,
            med_threshold=acc.med_threshold,
            high_threshold=acc.high_threshold,
        )
    if op.master_weight is not None:
        acc.master_weight = op.master_weight.uint32
        kind = "signer_removed" if acc.master_weight == 0 else "signer_updated"
        ctx.effect(
            acc.account_id,
            kind,
            weight=acc.master_weight,
            public_key=acc.account_id,
            key="",
        )
    if op.signer is not None:
        key = signer_key_strkey(op.signer.key)
        assert key is not None
        weight = op.signer.weight.uint32
        shown = {"weight": weight, "public_key": key, "key": ""}
        if weight == 0:
            if key in acc.signers:
                _, sponsor = acc.signers.pop(key)
                acc.num_subentries -= 1
                release_sponsorship(ctx, acc, sponsor, 1)
                ctx.effect(acc.account_id, "signer_removed", **shown)
        elif key in acc.signers:
            acc.signers[key] = (weight, acc.signers[key][1])
            ctx.effect(acc.account_id, "signer_updated", **shown)
        else:
            if len(acc.signers) >= MAX_SIGNERS:
                return op_fail(T_SET, SO.SET_OPTIONS_TOO_MANY_SIGNERS)
            if acc.num_subentries >= MAX_SUBENTRIES:
                return op_outer(T_SET, X.OperationResultCode.opTOO_MANY_SUBENTRIES)
            ok, sponsor = sponsor_new_entries(ctx, acc, 1)
            if not ok:
                return op_fail(T_SET, SO.SET_OPTIONS_LOW_RESERVE)
            acc.signers[key] = (weight, sponsor)
            acc.num_subentries += 1
            ctx.effect(acc.account_id, "signer_created", **shown)
            if sponsor is not None:
                ctx.effect(
                    acc.account_id, "signer_sponsorship_created", signer=key, sponsor=sponsor
                )
    return OpResult(T_SET)


def check_manage_data(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.manage_data_op
    assert op is not None
    name = op.data_name.string64
    if not name or any(c < 0x20 or c > 0x7E for c in name):
        return op_fail(T_DATA, MD.MANAGE_DATA_INVALID_NAME)
    return None


def apply_manage_data(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.manage_data_op
    assert op is not None
    acc = ctx.state.edit(source.account_id)
    assert acc is not None
    name = op.data_name.string64.decode()
    if op.data_value is None:
        if name not in acc.data:
            return op_fail(T_DATA, MD.MANAGE_DATA_NAME_NOT_FOUND)
        _, sponsor = acc.data.pop(name)
        acc.num_subentries -= 1
        release_sponsorship(ctx, acc, sponsor, 1)
        ctx.effect(acc.account_id, "data_removed", name=name)
        return OpResult(T_DATA)
    value = op.data_value.data_value
    shown = base64.b64encode(value).decode()
    if name in acc.data:
        acc.data[name] = (value, acc.data[name][1])
        ctx.effect(acc.account_id, "data_updated", name=name, value=shown)
        return OpResult(T_DATA)
    if acc.num_subentries >= MAX_SUBENTRIES:
        return op_outer(T_DATA, X.OperationResultCode.opTOO_MANY_SUBENTRIES)
    ok, sponsor = sponsor_new_entries(ctx, acc, 1)
    if not ok:
        return op_fail(T_DATA, MD.MANAGE_DATA_LOW_RESERVE)
    acc.data[name] = (value, sponsor)
    acc.num_subentries += 1
    ctx.effect(acc.account_id, "data_created", name=name, value=shown)
    if sponsor is not None:
        ctx.effect(acc.account_id, "data_sponsorship_created", data_name=name, sponsor=sponsor)
    return OpResult(T_DATA)


def check_bump_sequence(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.bump_sequence_op
    assert op is not None
    if op.bump_to.sequence_number.int64 < 0:
        return op_fail(T_BUMP, BS.BUMP_SEQUENCE_BAD_SEQ)
    return None


def apply_bump_sequence(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.bump_sequence_op
    assert op is not None
    to = op.bump_to.sequence_number.int64
    if to > source.seq_num:
        acc = ctx.state.edit(source.account_id)
        assert acc is not None
        acc.seq_num = to
        acc.seq_ledger, acc.seq_time = ctx.ledger_seq, ctx.close_time
        ctx.effect(acc.account_id, "sequence_bumped", new_seq=str(to))
    return OpResult(T_BUMP)


def check_begin_sponsoring(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.begin_sponsoring_future_reserves_op
    assert op is not None
    if g_address(op.sponsored_id) == source:
        return op_fail(T_BEGIN, BEGIN.BEGIN_SPONSORING_FUTURE_RESERVES_MALFORMED)
    return None


def apply_begin_sponsoring(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.begin_sponsoring_future_reserves_op
    assert op is not None
    sponsored = g_address(op.sponsored_id)
    if sponsored in ctx.sponsoring:
        return op_fail(T_BEGIN, BEGIN.BEGIN_SPONSORING_FUTURE_RESERVES_ALREADY_SPONSORED)
    if source.account_id in ctx.sponsoring or sponsored in ctx.sponsoring.values():
        return op_fail(T_BEGIN, BEGIN.BEGIN_SPONSORING_FUTURE_RESERVES_RECURSIVE)
    ctx.sponsoring[sponsored] = source.account_id
    return OpResult(T_BEGIN)


def apply_end_sponsoring(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    if source.account_id not in ctx.sponsoring:
        return op_fail(T_END, END.END_SPONSORING_FUTURE_RESERVES_NOT_SPONSORED)
    del ctx.sponsoring[source.account_id]
    return OpResult(T_END)
