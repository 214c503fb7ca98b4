"""Apply one included transaction to the ledger state: seq, op signatures, ops, atomicity."""

from __future__ import annotations

from stellar_sdk import StrKey
from stellar_sdk import xdr as X

from sozu.localnet.envelope import Envelope
from sozu.localnet.ops import APPLIERS, CHECKED_BEFORE_WRITING, needed_weight, threshold_level
from sozu.localnet.ops.base import ApplyContext, Effect, release_sponsorship
from sozu.localnet.results import OpResult, TxResult, op_outer
from sozu.localnet.state import LedgerState
from sozu.localnet.validate import check_inner

T = X.TransactionResultCode
ORC = X.OperationResultCode


def charge_fee(state: LedgerState, env: Envelope, fee: int) -> int:
    """Take the fee from the fee source before any transaction applies, as core does."""
    payer = state.edit(env.fee_source)
    if payer is None:
        return 0
    fee = min(fee, payer.balance)
    payer.balance -= fee
    return fee


def _wrap(env: Envelope, code: int, fee: int, ops: list[OpResult] | None) -> TxResult:
    if not env.fee_bump:
        return TxResult(code, fee, ops)
    outer = T.txFEE_BUMP_INNER_SUCCESS if code == T.txSUCCESS.value else T.txFEE_BUMP_INNER_FAILED
    return TxResult(outer.value, fee, ops, inner_hash=env.inner_hash, inner_code=code)


def _remove_one_time_signers(state: LedgerState, env: Envelope) -> None:
    """Pre-authorized transaction signers are consumed once their transaction applies."""
    key = None
    for acc_id in {env.source, *(op.source for op in env.ops if op.source)}:
        acc = state.get(acc_id)
        if acc is None or not acc.signers:
            continue
        key = key or StrKey.encode_pre_auth_tx(env.inner_hash)
        if key in acc.signers:
            acc = state.edit(acc_id)
            assert acc is not None
            _, sponsor = acc.signers.pop(key)
            acc.num_subentries -= 1
            release_sponsorship(
                ApplyContext(state, state.ledger_seq, state.close_time), acc, sponsor, 1
            )


def apply_transaction(
    state: LedgerState,
    env: Envelope,
    *,
    ledger_seq: int,
    close_time: int,
    fee: int,
    effects: list[list[Effect]] | None = None,
) -> TxResult:
    """Apply an included transaction whose fee was already charged.

    When `effects` is given and the transaction succeeds, it receives each op's effects.
    """
    err, sigs = check_inner(state, env, ledger_seq=ledger_seq, close_time=close_time, applying=True)
    if err is not None:
        return _wrap(env, err.code, fee, None)
    acc = state.edit(env.source)
    assert acc is not None
    acc.seq_num = env.seq
    acc.seq_ledger, acc.seq_time = ledger_seq, close_time
    results = [OpResult(op.type) for op in env.ops]
    ok = True
    passed: set[tuple[str, int]] = set()  # (account, weight) already met: 100 ops, 1 source
    for op in env.ops:
        src = state.get(op.source or env.source)
        if src is not None:
            needed = needed_weight(src, threshold_level(op.type, op.body))
            if (src.account_id, needed) in passed:
                continue
            if sigs.check_account(src, src.account_id, needed):
                passed.add((src.account_id, needed))
            else:
                results[op.index] = op_outer(op.type, ORC.opBAD_AUTH)
                ok = False
    if not ok:
        _remove_one_time_signers(state, env)
        return _wrap(env, T.txFAILED.value, fee, results)
    ctx = ApplyContext(state, ledger_seq, close_time, sigs)
    state.savepoint()
    op_effects: list[list[Effect]] = []
    for op in env.ops:
        ctx.effects = []
        op_effects.append(ctx.effects)
        src = state.get(op.source or env.source)
        if src is None:
            results[op.index] = op_outer(op.type, ORC.opNO_ACCOUNT)
            ok = False
            continue
        if op.type in CHECKED_BEFORE_WRITING:
            # No partial writes to undo: any failure fails the tx, rolled back below.
            res = APPLIERS[op.type](ctx, op.body, src)
            ok = ok and res.ok
        else:
            state.savepoint()
            res = APPLIERS[op.type](ctx, op.body, src)
            if res.ok:
                state.commit()
            else:
                state.rollback()
                ok = False
        results[op.index] = res
    code = T.txSUCCESS.value
    if not ok:
        code = T.txFAILED.value
    elif ctx.sponsoring:
        code = T.txBAD_SPONSORSHIP.value
    if code == T.txSUCCESS.value:
        state.commit()
        if effects is not None:
            effects.extend(op_effects)
    else:
        state.rollback()
    _remove_one_time_signers(state, env)
    return _wrap(env, code, fee, results if code != T.txBAD_SPONSORSHIP.value else None)
