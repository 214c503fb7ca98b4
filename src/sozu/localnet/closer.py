"""Close one ledger: pick the transaction set, charge fees, apply, persist, answer waiters."""

from __future__ import annotations

import logging
import time
from typing import Any

from sozu.localnet.apply import apply_transaction, charge_fee
from sozu.localnet.effects import effect_record
from sozu.localnet.envelope import Envelope, decode
from sozu.localnet.funding import build_issuer_tx, build_root_tx, insert_trustline
from sozu.localnet.header import seal
from sozu.localnet.network import Network, Outcome
from sozu.localnet.oprender import op_records
from sozu.localnet.ops.base import Effect
from sozu.localnet.render import toid, tx_record
from sozu.localnet.state import BASE_FEE
from sozu.localnet.store import LedgerWrite
from sozu.localnet.validate import check_submission

log = logging.getLogger("sozu.localnet")
Json = dict[str, Any]


def _select(net: Network, seq: int, close_time: int) -> tuple[list[Envelope], int]:
    """The transaction set: best fee rate first, up to the op limit; and its base fee."""
    cap = net.config.max_ops_per_ledger
    chosen: list[Envelope] = []
    used = 0
    surge = False
    fees_by_payer: dict[str, int] = {}
    for q in sorted(net.queue.values(), key=lambda q: q.env.fee_rate_key()):
        env = q.env
        if used + env.op_count > cap:
            surge = True
            continue
        # Re-validate against the last closed ledger: the queue may have gone stale.
        err = check_submission(
            net.state,
            env,
            ledger_seq=seq,
            close_time=close_time,
            pending_fee=fees_by_payer.get(env.fee_source, 0),
        )
        if err is not None:
            for w in q.waiters:
                if not w.done():
                    w.set_result(Outcome(error=err))
            net.drop(env.hash_hex)
            continue
        fees_by_payer[env.fee_source] = fees_by_payer.get(env.fee_source, 0) + env.fee
        chosen.append(env)
        used += env.op_count
    base_fee = BASE_FEE
    if surge and chosen:
        # Everyone pays the lowest fee rate that made it into a full ledger.
        base_fee = max(BASE_FEE, min(e.fee // e.op_count for e in chosen))
    return chosen, base_fee


def _funding_txs(net: Network, stage: str) -> list[tuple[int, Envelope]]:
    """Internal transactions for pending fund/friendbot requests (index into net.funding)."""
    out = []
    offset = 0
    for i, (req, _) in enumerate(net.funding):
        if stage == "root":
            xdr = build_root_tx(net.state, net.keys, net.config.passphrase, req, offset)
        elif req.usdc > 0 and not req.friendbot:
            xdr = build_issuer_tx(net.state, net.keys, net.config.passphrase, req, offset)
        else:
            xdr = None
        if xdr is not None:
            out.append((i, decode(xdr, net.config.passphrase)))
            offset += 1
    return out


def close_ledger(net: Network) -> None:
    started = time.perf_counter()
    prev = net.header
    seq = prev["sequence"] + 1
    close_time = max(int(time.time()), prev["close_time"])
    state = net.state
    state.ledger_seq, state.close_time = seq, close_time

    chosen, base_fee = _select(net, seq, close_time)
    write = LedgerWrite(header={})
    fee_pool = prev["fee_pool"]
    counts = {"ok": 0, "failed": 0, "ops": 0, "set_ops": 0}
    index = 0
    outcomes: dict[str, Outcome] = {}
    funding_outcomes: dict[int, list[Outcome]] = {}
    fee_sample: list[tuple[int, int]] = []

    def include(env: Envelope, fee: int, funding_slot: int | None = None) -> None:
        nonlocal index, fee_pool
        index += 1
        effects: list[list[Effect]] = []
        result = apply_transaction(
            state, env, ledger_seq=seq, close_time=close_time, fee=fee, effects=effects
        )
        fee_pool += fee
        rec = tx_record(env, result, ledger=seq, index=index, close_time=close_time)
        rec["_codes"] = result.result_codes()
        tid = toid(seq, index)
        ops = op_records(env, result, ledger=seq, index=index, close_time=close_time)
        accounts = {env.source, env.fee_source}
        for oid, is_pay, who, orec in ops:
            accounts |= who
            write.ops.append((oid, tid, is_pay, orec, who))
        for (oid, _, _, _), op_effects in zip(ops, effects, strict=False):
            for order, (account, kind, fields) in enumerate(op_effects, start=1):
                erec = effect_record(oid, order, account, kind, fields, close_time)
                write.effects.append((oid, order, account, erec))
        inner = env.inner_hash_hex if env.fee_bump else None
        write.txs.append((tid, env.hash_hex, inner, rec, accounts))
        fee_sample.append((fee // env.op_count, env.fee // env.op_count))
        counts["ok" if result.successful else "failed"] += 1
        counts["set_ops"] += len(env.ops)
        if result.successful:
            counts["ops"] += len(env.ops)
        outcome = Outcome(record=rec)
        if funding_slot is None:
            outcomes[env.hash_hex] = outcome
        else:
            funding_outcomes.setdefault(funding_slot, []).append(outcome)

    # Core charges every fee before applying any transaction.
    fees = [charge_fee(state, env, min(env.fee, base_fee * env.op_count)) for env in chosen]
    for env, fee in zip(chosen, fees, strict=True):
        include(env, fee)
    if net.funding:
        for slot, env in _funding_txs(net, "root"):
            include(env, charge_fee(state, env, BASE_FEE * env.op_count), slot)
        for req, _ in net.funding:
            if req.usdc > 0 and not req.friendbot:
                insert_trustline(state, req.address, net.keys.issuer.public_key)
        for slot, env in _funding_txs(net, "issuer"):
            include(env, charge_fee(state, env, BASE_FEE * env.op_count), slot)

    header: Json = dict(prev)
    header.update(
        sequence=seq,
        prev_hash=prev["hash"],
        close_time=close_time,
        successful_transaction_count=counts["ok"],
        failed_transaction_count=counts["failed"],
        operation_count=counts["ops"],
        tx_set_operation_count=counts["set_ops"],
        fee_pool=fee_pool,
        # The header keeps the network's base fee; surge pricing shows only in fees charged.
        base_fee=BASE_FEE,
        max_tx_set_size=net.config.max_ops_per_ledger,
    )
    seal(header, [bytes.fromhex(t[1]) for t in write.txs], [t[3]["result_xdr"] for t in write.txs])
    write.header = header
    write.accounts = [a for k in state.dirty if (a := state.accounts.get(k)) is not None]
    write.deleted = [k for k in state.dirty if k not in state.accounts]
    net.store.write_ledger(write)
    state.dirty.clear()
    net.header = header
    net.last_surge_fee = base_fee
    net.recent_fees.append(fee_sample)

    for env in chosen:
        q = net.queue.get(env.hash_hex)
        net.drop(env.hash_hex)
        if q is not None:
            for w in q.waiters:
                if not w.done():
                    w.set_result(outcomes[env.hash_hex])
    for slot, (_, fut) in enumerate(net.funding):
        if not fut.done():
            fut.set_result(funding_outcomes.get(slot, []))
    net.funding.clear()
    for cb in net.on_close:
        cb(header)
    if chosen or index:
        log.info(
            "ledger %d: %d txs, %d ops, %.1f ms",
            seq,
            index,
            counts["set_ops"],
            (time.perf_counter() - started) * 1000,
        )
