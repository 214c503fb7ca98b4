"""Operations that move lumens or issued assets: create_account, payment, account_merge."""

from __future__ import annotations

from stellar_sdk import xdr as X

from sozu.localnet.ops.base import (
    ApplyContext,
    asset_fields,
    asset_key,
    g_address,
    muxed_address,
    release_sponsorship,
)
from sozu.localnet.results import OpResult, op_fail
from sozu.localnet.state import (
    AUTH_IMMUTABLE,
    BASE_RESERVE,
    INT64_MAX,
    Account,
)

CA = X.CreateAccountResultCode
PR = X.PaymentResultCode
AM = X.AccountMergeResultCode
T_CREATE = X.OperationType.CREATE_ACCOUNT.value
T_PAY = X.OperationType.PAYMENT.value
T_MERGE = X.OperationType.ACCOUNT_MERGE.value
OK_CREATE = OpResult(T_CREATE)
OK_PAY = OpResult(T_PAY)


def check_create_account(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.create_account_op
    assert op is not None
    if op.starting_balance.int64 < 0 or g_address(op.destination) == source:
        return op_fail(T_CREATE, CA.CREATE_ACCOUNT_MALFORMED)
    return None


def apply_create_account(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.create_account_op
    assert op is not None
    dest_id = g_address(op.destination)
    amount = op.starting_balance.int64
    state = ctx.state
    if state.get(dest_id) is not None:
        return op_fail(T_CREATE, CA.CREATE_ACCOUNT_ALREADY_EXIST)
    sponsor_id = ctx.sponsoring.get(dest_id)
    if sponsor_id is None and amount < 2 * BASE_RESERVE:
        return op_fail(T_CREATE, CA.CREATE_ACCOUNT_LOW_RESERVE)
    if source.available() < amount:
        return op_fail(T_CREATE, CA.CREATE_ACCOUNT_UNDERFUNDED)
    new = Account(account_id=dest_id, balance=amount, seq_num=ctx.ledger_seq << 32)
    if sponsor_id is not None:
        sponsor = state.edit(sponsor_id)
        if sponsor is None or sponsor.available() < 2 * BASE_RESERVE:
            return op_fail(T_CREATE, CA.CREATE_ACCOUNT_LOW_RESERVE)
        sponsor.num_sponsoring += 2
        new.num_sponsored = 2
        new.sponsor = sponsor_id
    source = state.edit(source.account_id) or source
    source.balance -= amount
    state.create(new)
    ctx.effect(dest_id, "account_created", starting_balance=amount)
    ctx.effect(source.account_id, "account_debited", asset_type="native", amount=amount)
    ctx.effect(dest_id, "signer_created", weight=1, public_key=dest_id, key="")
    if sponsor_id is not None:
        ctx.effect(dest_id, "account_sponsorship_created", sponsor=sponsor_id)
    return OK_CREATE


def check_payment(body: X.OperationBody, source: str) -> OpResult | None:
    op = body.payment_op
    assert op is not None
    if op.amount.int64 <= 0 or asset_key(op.asset) is False:
        return op_fail(T_PAY, PR.PAYMENT_MALFORMED)
    return None


def apply_payment(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    op = body.payment_op
    assert op is not None
    state = ctx.state
    dest_id = muxed_address(op.destination)
    amount = op.amount.int64
    key = asset_key(op.asset)
    dest = state.get(dest_id)
    if dest is None:
        return op_fail(T_PAY, PR.PAYMENT_NO_DESTINATION)
    assert key is not False  # refused at submission by check_payment
    moved = {**asset_fields(key), "amount": amount}
    if key is None:
        if dest_id == source.account_id:
            return OK_PAY  # core: a lumen payment to oneself succeeds without touching anything
        if dest.balance > INT64_MAX - amount:
            return op_fail(T_PAY, PR.PAYMENT_LINE_FULL)
        if source.available() < amount:
            return op_fail(T_PAY, PR.PAYMENT_UNDERFUNDED)
        state.edit(dest_id)
        src = state.edit(source.account_id)
        assert src is not None
        src.balance -= amount
        dest.balance += amount
        ctx.effect(dest_id, "account_credited", **moved)
        ctx.effect(source.account_id, "account_debited", **moved)
        return OK_PAY
    assert isinstance(key, tuple)
    issuer = key[1]
    # Core credits the destination first, then debits the source; the codes follow that order.
    if dest_id != issuer:
        dtl = dest.trustlines.get(key)
        if dtl is None:
            return op_fail(T_PAY, PR.PAYMENT_NO_TRUST)
        if not dtl.authorized:
            return op_fail(T_PAY, PR.PAYMENT_NOT_AUTHORIZED)
        if dtl.balance > dtl.limit - amount:
            return op_fail(T_PAY, PR.PAYMENT_LINE_FULL)
    if source.account_id != issuer:
        stl = source.trustlines.get(key)
        if stl is None:
            return op_fail(T_PAY, PR.PAYMENT_SRC_NO_TRUST)
        if not stl.authorized:
            return op_fail(T_PAY, PR.PAYMENT_SRC_NOT_AUTHORIZED)
        if stl.balance < amount:
            return op_fail(T_PAY, PR.PAYMENT_UNDERFUNDED)
    if dest_id != issuer:
        d = state.edit(dest_id)
        assert d is not None
        d.trustlines[key].balance += amount
        d.trustlines[key].last_modified_ledger = ctx.ledger_seq
    if source.account_id != issuer:
        s = state.edit(source.account_id)
        assert s is not None
        s.trustlines[key].balance -= amount
        s.trustlines[key].last_modified_ledger = ctx.ledger_seq
    ctx.effect(dest_id, "account_credited", **moved)
    ctx.effect(source.account_id, "account_debited", **moved)
    return OK_PAY


def check_account_merge(body: X.OperationBody, source: str) -> OpResult | None:
    assert body.destination is not None
    if muxed_address(body.destination) == source:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_MALFORMED)
    return None


def apply_account_merge(ctx: ApplyContext, body: X.OperationBody, source: Account) -> OpResult:
    assert body.destination is not None
    state = ctx.state
    dest_id = muxed_address(body.destination)
    dest = state.get(dest_id)
    if dest is None:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_NO_ACCOUNT)
    if source.flags & AUTH_IMMUTABLE:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_IMMUTABLE_SET)
    if source.num_subentries > 0:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_HAS_SUB_ENTRIES)
    if source.seq_num >= ctx.ledger_seq << 32:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_SEQNUM_TOO_FAR)
    if source.num_sponsoring > 0:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_IS_SPONSOR)
    if dest.balance > INT64_MAX - source.balance:
        return op_fail(T_MERGE, AM.ACCOUNT_MERGE_DEST_FULL)
    moved = source.balance
    src = state.edit(source.account_id)
    assert src is not None
    release_sponsorship(ctx, src, src.sponsor, 2)
    d = state.edit(dest_id)
    assert d is not None
    d.balance += moved
    state.delete(source.account_id)
    ctx.effect(source.account_id, "account_debited", asset_type="native", amount=moved)
    ctx.effect(dest_id, "account_credited", asset_type="native", amount=moved)
    ctx.effect(source.account_id, "account_removed")
    return OpResult(T_MERGE, merged_balance=moved)
