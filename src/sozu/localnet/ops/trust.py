"""Trustline operations: change_trust, allow_trust and set_trust_line_flags."""

from __future__ import annotations

from stellar_sdk import xdr as X

from sozu.localnet.ops.base import (
    ApplyContext,
    asset_code_text,
    asset_fields,
    asset_key,
    g_address,
    release_sponsorship,
    sponsor_new_entries,
)
from sozu.localnet.results import OpResult, op_fail, op_outer
from sozu.localnet.state import (
    AUTH_CLAWBACK_ENABLED,
    AUTH_REQUIRED,
    AUTH_REVOCABLE,
    MAX_SUBENTRIES,
    TL_AUTHORIZED,
    TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES,
    TL_CLAWBACK_ENABLED,
    Account,
    TrustLine,
)

CT = X.ChangeTrustResultCode
AT = X.AllowTrustResultCode
STF = X.SetTrustLineFlagsResultCode
T_CT = X.OperationType.CHANGE_TRUST.value
T_AT = X.OperationType.ALLOW_TRUST.value
T_STF = X.OperationType.SET_TRUST_LINE_FLAGS.value
AUTH_FLAGS = TL_AUTHORIZED | TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES


def _flags_effect(
    ctx: ApplyContext, issuer: str, trustor: str, key: tuple[str, str], flags: int
) -> None:
    ctx.effect(
        issuer,
        "trustline_flags_updated",
        trustor=trustor,
        **asset_fields(key),
        authorized_flag=bool(flags & TL_AUTHORIZED),
        authorized_to_maintain_liabilites_flag=bool(flags & TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES),
        clawback_enabled_flag=bool(flags & TL_CLAWBACK_ENABLED),
    )


def check_change_trust(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.change_trust_op
    assert op is not None
    key = asset_key(op.line)
    if op.limit.int64 < 0 or not key:  # native, pool shares and bad codes are all refused
        return op_fail(T_CT, CT.CHANGE_TRUST_MALFORMED)
    assert isinstance(key, tuple)
    if key[1] == source:
        return op_fail(T_CT, CT.CHANGE_TRUST_MALFORMED)
    return None


def apply_change_trust(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.change_trust_op
    assert op is not None
    key = asset_key(op.line)
    assert isinstance(key, tuple)
    limit = op.limit.int64
    acc = ctx.state.edit(source.account_id)
    assert acc is not None
    tl = acc.trustlines.get(key)
    if tl is not None:
        if limit == 0:
            if tl.balance > 0:
                return op_fail(T_CT, CT.CHANGE_TRUST_INVALID_LIMIT)
            del acc.trustlines[key]
            acc.num_subentries -= 1
            release_sponsorship(ctx, acc, tl.sponsor, 1)
            ctx.effect(acc.account_id, "trustline_removed", **asset_fields(key), limit=0)
            return OpResult(T_CT)
        if limit < tl.balance:
            return op_fail(T_CT, CT.CHANGE_TRUST_INVALID_LIMIT)
        tl.limit = limit
        tl.last_modified_ledger = ctx.ledger_seq
        ctx.effect(acc.account_id, "trustline_updated", **asset_fields(key), limit=limit)
        return OpResult(T_CT)
    if limit == 0:
        return op_fail(T_CT, CT.CHANGE_TRUST_INVALID_LIMIT)
    issuer = ctx.state.get(key[1])
    if issuer is None:
        return op_fail(T_CT, CT.CHANGE_TRUST_NO_ISSUER)
    if acc.num_subentries >= MAX_SUBENTRIES:
        return op_outer(T_CT, X.OperationResultCode.opTOO_MANY_SUBENTRIES)
    ok, sponsor = sponsor_new_entries(ctx, acc, 1)
    if not ok:
        return op_fail(T_CT, CT.CHANGE_TRUST_LOW_RESERVE)
    flags = 0 if issuer.flags & AUTH_REQUIRED else TL_AUTHORIZED
    if issuer.flags & AUTH_CLAWBACK_ENABLED:
        flags |= TL_CLAWBACK_ENABLED
    acc.trustlines[key] = TrustLine(
        key[0], key[1], 0, limit, flags, sponsor, last_modified_ledger=ctx.ledger_seq
    )
    acc.num_subentries += 1
    ctx.effect(acc.account_id, "trustline_created", **asset_fields(key), limit=limit)
    if sponsor is not None:
        fields = asset_fields(key)
        asset = f"{fields['asset_code']}:{fields['asset_issuer']}"
        ctx.effect(acc.account_id, "trustline_sponsorship_created", asset=asset, sponsor=sponsor)
    return OpResult(T_CT)


def check_allow_trust(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.allow_trust_op
    assert op is not None
    if op.authorize.uint32 > AUTH_FLAGS or op.authorize.uint32 == AUTH_FLAGS:
        return op_fail(T_AT, AT.ALLOW_TRUST_MALFORMED)
    if g_address(op.trustor) == source:
        return op_fail(T_AT, AT.ALLOW_TRUST_SELF_NOT_ALLOWED)
    return None


def apply_allow_trust(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.allow_trust_op
    assert op is not None
    key = (asset_code_text(op.asset), source.account_id)
    trustor = ctx.state.edit(g_address(op.trustor))
    tl = trustor.trustlines.get(key) if trustor is not None else None
    if tl is None:
        return op_fail(T_AT, AT.ALLOW_TRUST_NO_TRUST_LINE)
    new = (tl.flags & ~AUTH_FLAGS) | op.authorize.uint32
    if tl.flags & TL_AUTHORIZED and not new & TL_AUTHORIZED and not source.flags & AUTH_REVOCABLE:
        return op_fail(T_AT, AT.ALLOW_TRUST_CANT_REVOKE)
    tl.flags = new
    tl.last_modified_ledger = ctx.ledger_seq
    _flags_effect(ctx, source.account_id, g_address(op.trustor), key, new)
    return OpResult(T_AT)


def check_set_trust_line_flags(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.set_trust_line_flags_op
    assert op is not None
    set_f, clear_f = op.set_flags.uint32, op.clear_flags.uint32
    key = asset_key(op.asset)
    bad = (
        not key
        or (isinstance(key, tuple) and key[1] != source)
        or g_address(op.trustor) == source
        or set_f & clear_f
        or (set_f | clear_f) & ~(AUTH_FLAGS | TL_CLAWBACK_ENABLED)
        or set_f & TL_CLAWBACK_ENABLED
        or set_f & AUTH_FLAGS == AUTH_FLAGS
    )
    return op_fail(T_STF, STF.SET_TRUST_LINE_FLAGS_MALFORMED) if bad else None


def apply_set_trust_line_flags(
    ctx: ApplyContext, body: X.OperationBody, source: Account
) -> OpResult:
    op = body.set_trust_line_flags_op
    assert op is not None
    key = asset_key(op.asset)
    assert isinstance(key, tuple)
    trustor = ctx.state.edit(g_address(op.trustor))
    tl = trustor.trustlines.get(key) if trustor is not None else None
    if tl is None:
        return op_fail(T_STF, STF.SET_TRUST_LINE_FLAGS_NO_TRUST_LINE)
    new = (tl.flags & ~op.clear_flags.uint32) | op.set_flags.uint32
    if new & AUTH_FLAGS == AUTH_FLAGS:
        return op_fail(T_STF, STF.SET_TRUST_LINE_FLAGS_INVALID_STATE)
    revoking = tl.flags & TL_AUTHORIZED and not new & TL_AUTHORIZED
    if revoking and not source.flags & AUTH_REVOCABLE:
        return op_fail(T_STF, STF.SET_TRUST_LINE_FLAGS_CANT_REVOKE)
    tl.flags = new
    tl.last_modified_ledger = ctx.ledger_seq
    _flags_effect(ctx, source.account_id, g_address(op.trustor), key, new)
    return OpResult(T_STF)
