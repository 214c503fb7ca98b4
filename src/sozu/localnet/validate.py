"""Transaction-level validity, as stellar-core checks it at submission and again at apply."""

from __future__ import annotations

from stellar_sdk import xdr as X

from sozu.localnet.envelope import MAX_OPS, Envelope
from sozu.localnet.ops import CHECKS, LOW, needed_weight, threshold_level
from sozu.localnet.results import OpResult, TxResult, op_outer
from sozu.localnet.signatures import SignatureSet, signer_key_strkey
from sozu.localnet.state import BASE_FEE, LedgerState

T = X.TransactionResultCode
ORC = X.OperationResultCode


def min_fee(env: Envelope) -> int:
    return BASE_FEE * env.op_count


def _err(code: T, fee: int = 0, ops: list[OpResult] | None = None) -> TxResult:
    return TxResult(code.value, fee, ops)


def check_inner(
    state: LedgerState,
    env: Envelope,
    *,
    ledger_seq: int,
    close_time: int,
    applying: bool,
    pending_fee: int = 0,
) -> tuple[TxResult | None, SignatureSet]:
    """Check the (inner) transaction. Returns (error or None, the signatures it used)."""
    sigs = SignatureSet(env.inner_hash, env.signatures, env.verified)
    fee = 0 if applying else min_fee(env)
    n_ops = len(env.ops)
    if n_ops == 0:
        return _err(T.txMISSING_OPERATION, fee), sigs
    if n_ops > MAX_OPS:
        return _err(T.txMALFORMED, fee), sigs
    if not env.fee_bump and not applying and env.fee < min_fee(env):
        return _err(T.txINSUFFICIENT_FEE, fee), sigs
    if env.min_time is not None and env.min_time > close_time:
        return _err(T.txTOO_EARLY, fee), sigs
    if env.max_time and env.max_time < close_time:
        return _err(T.txTOO_LATE, fee), sigs
    if env.min_ledger and env.min_ledger > ledger_seq:
        return _err(T.txTOO_EARLY, fee), sigs
    if env.max_ledger and env.max_ledger <= ledger_seq:
        return _err(T.txTOO_LATE, fee), sigs
    acc = state.get(env.source)
    if acc is None:
        return _err(T.txNO_ACCOUNT, fee), sigs
    if env.min_seq_num is not None:
        if not (env.min_seq_num <= acc.seq_num < env.seq):
            return _err(T.txBAD_SEQ, fee), sigs
    elif env.seq != acc.seq_num + 1:
        return _err(T.txBAD_SEQ, fee), sigs
    if env.min_seq_age and close_time - acc.seq_time < env.min_seq_age:
        return _err(T.txBAD_MIN_SEQ_AGE_OR_GAP, fee), sigs
    if env.min_seq_ledger_gap and ledger_seq - acc.seq_ledger < env.min_seq_ledger_gap:
        return _err(T.txBAD_MIN_SEQ_AGE_OR_GAP, fee), sigs
    if not sigs.check_account(acc, env.source, needed_weight(acc, LOW)):
        return _err(T.txBAD_AUTH, fee), sigs
    for signer in env.extra_signers:
        key = signer_key_strkey(signer)
        if key is None or not sigs.check_key(key):
            return _err(T.txBAD_AUTH, fee), sigs
    if not env.fee_bump and not applying and acc.available() < env.fee + pending_fee:
        return _err(T.txINSUFFICIENT_BALANCE, fee), sigs
    if applying:
        return None, sigs
    results = [OpResult(op.type) for op in env.ops]
    passed: set[tuple[str, int]] = set()  # (account, weight) already met by the signatures
    for op in env.ops:
        check = CHECKS.get(op.type)
        if check is None:
            results[op.index] = op_outer(op.type, ORC.opNOT_SUPPORTED)
            return _err(T.txFAILED, fee, results), sigs
        src_id = op.source or env.source
        # A missing op source may be created by an earlier op; then its master key must sign.
        src = state.get(src_id)
        level = threshold_level(op.type, op.body)
        needed = needed_weight(src, level) if src is not None else 0
        if (src_id, needed) not in passed:
            if not sigs.check_account(src, src_id, needed):
                results[op.index] = op_outer(op.type, ORC.opBAD_AUTH)
                return _err(T.txFAILED, fee, results), sigs
            passed.add((src_id, needed))
        bad = check(op.body, src_id)
        if bad is not None:
            results[op.index] = bad
            return _err(T.txFAILED, fee, results), sigs
    if not sigs.all_used():
        return _err(T.txBAD_AUTH_EXTRA, fee), sigs
    return None, sigs


def check_submission(
    state: LedgerState, env: Envelope, *, ledger_seq: int, close_time: int, pending_fee: int = 0
) -> TxResult | None:
    """Everything core checks before accepting a transaction into its queue."""
    if not env.fee_bump:
        err, _ = check_inner(
            state,
            env,
            ledger_seq=ledger_seq,
            close_time=close_time,
            applying=False,
            pending_fee=pending_fee,
        )
        return err
    fee = min_fee(env)
    inner_ops = len(env.ops)
    # The outer fee must meet the minimum and bid at least the inner transaction's fee rate.
    if env.fee < fee or env.fee * max(inner_ops, 1) < env.inner_fee * env.op_count:
        return _err(T.txINSUFFICIENT_FEE, fee)
    payer = state.get(env.fee_source)
    if payer is None:
        return _err(T.txNO_ACCOUNT, fee)
    outer = SignatureSet(env.hash, env.outer_signatures, env.verified)
    if not outer.check_account(payer, env.fee_source, needed_weight(payer, LOW)):
        return _err(T.txBAD_AUTH, fee)
    if payer.available() < env.fee + pending_fee:
        return _err(T.txINSUFFICIENT_BALANCE, fee)
    if not outer.all_used():
        return _err(T.txBAD_AUTH_EXTRA, fee)
    inner, _ = check_inner(state, env, ledger_seq=ledger_seq, close_time=close_time, applying=False)
    if inner is not None:
        return TxResult(
            T.txFEE_BUMP_INNER_FAILED.value,
            fee,
            inner.ops,
            inner_hash=env.inner_hash,
            inner_code=inner.code,
        )
    return None
