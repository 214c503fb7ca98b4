"""Horizon's JSON shapes for accounts, transactions, operations and ledgers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from stellar_sdk import MuxedAccount
from stellar_sdk import xdr as X

from sozu.localnet.envelope import Envelope
from sozu.localnet.results import TxResult
from sozu.localnet.signatures import signer_raw
from sozu.localnet.state import (
    AUTH_CLAWBACK_ENABLED,
    AUTH_IMMUTABLE,
    AUTH_REQUIRED,
    AUTH_REVOCABLE,
    TL_AUTHORIZED,
    TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES,
    TL_CLAWBACK_ENABLED,
    Account,
)

Json = dict[str, Any]


def amount(stroops: int) -> str:
    """Stroops as Horizon's 7-decimal string."""
    sign = "-" if stroops < 0 else ""
    q, r = divmod(abs(stroops), 10_000_000)
    return f"{sign}{q}.{r:07d}"


@lru_cache(maxsize=64)
def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def toid(ledger: int, tx_index: int = 0, op_index: int = 0) -> int:
    """Horizon's total order id: ledger, transaction and operation packed in 64 bits."""
    return (ledger << 32) | (tx_index << 12) | op_index


def link(href: str, templated: bool = False) -> Json:
    return {"href": href, "templated": True} if templated else {"href": href}


def _asset_fields(code: str, issuer: str) -> Json:
    kind = "credit_alphanum4" if len(code) <= 4 else "credit_alphanum12"
    return {"asset_type": kind, "asset_code": code, "asset_issuer": issuer}


def account_links(base: str, account_id: str) -> Json:
    a = f"{base}/accounts/{account_id}"
    paged = "{?cursor,limit,order}"
    return {
        "self": link(a),
        "transactions": link(a + "/transactions" + paged, True),
        "operations": link(a + "/operations" + paged, True),
        "payments": link(a + "/payments" + paged, True),
        "effects": link(a + "/effects" + paged, True),
        "offers": link(a + "/offers" + paged, True),
        "trades": link(a + "/trades" + paged, True),
        "data": link(a + "/data/{key}", True),
    }


def account_record(base: str, acc: Account) -> Json:
    balances: list[Json] = []
    for tl in acc.trustlines.values():
        b: Json = {
            "balance": amount(tl.balance),
            "limit": amount(tl.limit),
            "buying_liabilities": "0.0000000",
            "selling_liabilities": "0.0000000",
            "last_modified_ledger": tl.last_modified_ledger,
            "is_authorized": bool(tl.flags & TL_AUTHORIZED),
            "is_authorized_to_maintain_liabilities": bool(
                tl.flags & (TL_AUTHORIZED | TL_AUTHORIZED_TO_MAINTAIN_LIABILITIES)
            ),
            "is_clawback_enabled": bool(tl.flags & TL_CLAWBACK_ENABLED),
            **_asset_fields(tl.code, tl.issuer),
        }
        if tl.sponsor:
            b["sponsor"] = tl.sponsor
        balances.append(b)
    balances.append(
        {
            "balance": amount(acc.balance),
            "buying_liabilities": "0.0000000",
            "selling_liabilities": "0.0000000",
            "asset_type": "native",
        }
    )
    signers: list[Json] = []
    for key, (weight, sponsor) in acc.signers.items():
        s: Json = {"weight": weight, "key": key, "type": signer_raw(key)[0]}
        if sponsor:
            s["sponsor"] = sponsor
        signers.append(s)
    signers.append(
        {"weight": acc.master_weight, "key": acc.account_id, "type": "ed25519_public_key"}
    )
    for s in signers:
        if s["type"] == "ed25519":
            s["type"] = "ed25519_public_key"
    rec: Json = {
        "_links": account_links(base, acc.account_id),
        "id": acc.account_id,
        "account_id": acc.account_id,
        "sequence": str(acc.seq_num),
    }
    if acc.seq_ledger:
        rec["sequence_ledger"] = acc.seq_ledger
        rec["sequence_time"] = str(acc.seq_time)
    rec["subentry_count"] = acc.num_subentries
    if acc.home_domain:
        rec["home_domain"] = acc.home_domain
    rec.update(
        {
            "last_modified_ledger": acc.last_modified_ledger,
            "last_modified_time": iso(acc.last_modified_time),
            "thresholds": {
                "low_threshold": acc.low_threshold,
                "med_threshold": acc.med_threshold,
                "high_threshold": acc.high_threshold,
            },
            "flags": {
                "auth_required": bool(acc.flags & AUTH_REQUIRED),
                "auth_revocable": bool(acc.flags & AUTH_REVOCABLE),
                "auth_immutable": bool(acc.flags & AUTH_IMMUTABLE),
                "auth_clawback_enabled": bool(acc.flags & AUTH_CLAWBACK_ENABLED),
            },
            "balances": balances,
            "signers": signers,
            "data": {k: base64.b64encode(v).decode() for k, (v, _) in acc.data.items()},
            "num_sponsoring": acc.num_sponsoring,
            "num_sponsored": acc.num_sponsored,
        }
    )
    if acc.sponsor:
        rec["sponsor"] = acc.sponsor
    rec["paging_token"] = acc.account_id
    return rec


def _muxed_id(m: str | None) -> str | None:
    if m is None:
        return None
    return str(MuxedAccount.from_account(m).account_muxed_id)


def _memo(memo: X.Memo) -> Json:
    t = memo.type
    if t == X.MemoType.MEMO_TEXT and memo.text is not None:
        return {
            "memo_type": "text",
            "memo": memo.text.decode("utf-8", errors="replace"),
            "memo_bytes": base64.b64encode(memo.text).decode(),
        }
    if t == X.MemoType.MEMO_ID and memo.id is not None:
        return {"memo_type": "id", "memo": str(memo.id.uint64)}
    if t == X.MemoType.MEMO_HASH and memo.hash is not None:
        return {"memo_type": "hash", "memo": base64.b64encode(memo.hash.hash).decode()}
    if t == X.MemoType.MEMO_RETURN and memo.ret_hash is not None:
        return {"memo_type": "return", "memo": base64.b64encode(memo.ret_hash.hash).decode()}
    return {"memo_type": "none"}


def _sig_list(sigs: list[X.DecoratedSignature]) -> list[str]:
    return [base64.b64encode(s.signature.signature).decode() for s in sigs]


def _preconditions(env: Envelope) -> Json | None:
    pre: Json = {}
    if env.min_time is not None:
        pre["timebounds"] = {"min_time": str(env.min_time)}
        if env.max_time:
            pre["timebounds"]["max_time"] = str(env.max_time)
    if env.min_ledger or env.max_ledger:
        pre["ledgerbounds"] = {}
        if env.min_ledger:
            pre["ledgerbounds"]["min_ledger"] = env.min_ledger
        if env.max_ledger:
            pre["ledgerbounds"]["max_ledger"] = env.max_ledger
    if env.min_seq_num is not None:
        pre["min_account_sequence"] = str(env.min_seq_num)
    if env.min_seq_age:
        pre["min_account_sequence_age"] = str(env.min_seq_age)
    if env.min_seq_ledger_gap:
        pre["min_account_sequence_ledger_gap"] = env.min_seq_ledger_gap
    return pre or None


def tx_record(env: Envelope, result: TxResult, *, ledger: int, index: int, close_time: int) -> Json:
    """A transaction record without `_links` (added per request, from the base URL)."""
    pt = str(toid(ledger, index))
    rec: Json = {
        "id": env.hash_hex,
        "paging_token": pt,
        "successful": result.successful,
        "hash": env.hash_hex,
        "ledger": ledger,
        "created_at": iso(close_time),
        "source_account": env.source,
    }
    if env.source_muxed:
        rec["account_muxed"] = env.source_muxed
        rec["account_muxed_id"] = _muxed_id(env.source_muxed)
    rec["source_account_sequence"] = str(env.seq)
    rec["fee_account"] = env.fee_source
    if env.fee_source_muxed:
        rec["fee_account_muxed"] = env.fee_source_muxed
        rec["fee_account_muxed_id"] = _muxed_id(env.fee_source_muxed)
    rec.update(
        {
            "fee_charged": str(result.fee_charged),
            "max_fee": str(env.fee),
            "operation_count": len(env.ops),
            "envelope_xdr": env.xdr,
            "result_xdr": result.to_xdr(),
            "fee_meta_xdr": "AAAAAA==",
            **_memo(env.memo),
            "signatures": _sig_list(env.outer_signatures if env.fee_bump else env.signatures),
        }
    )
    pre = _preconditions(env)
    if pre is not None:
        rec["preconditions"] = pre
    if env.fee_bump:
        rec["fee_bump_transaction"] = {"hash": env.hash_hex, "signatures": rec["signatures"]}
        rec["inner_transaction"] = {
            "hash": env.inner_hash_hex,
            "signatures": _sig_list(env.signatures),
            "max_fee": str(env.inner_fee),
        }
    return rec


def as_inner(rec: Json) -> Json:
    """A fee bump looked up by its inner hash shows that hash and the inner signatures."""
    inner = rec["inner_transaction"]
    return {**rec, "id": inner["hash"], "hash": inner["hash"], "signatures": inner["signatures"]}


def tx_links(base: str, rec: Json) -> Json:
    t = f"{base}/transactions/{rec['id']}"
    pt = rec["paging_token"]
    return {
        "self": link(t),
        "account": link(f"{base}/accounts/{rec['source_account']}"),
        "ledger": link(f"{base}/ledgers/{rec['ledger']}"),
        "operations": link(t + "/operations{?cursor,limit,order}", True),
        "effects": link(t + "/effects{?cursor,limit,order}", True),
        "precedes": link(f"{base}/transactions?order=asc&cursor={pt}"),
        "succeeds": link(f"{base}/transactions?order=desc&cursor={pt}"),
        "transaction": link(t),
    }


def op_links(base: str, rec: Json) -> Json:
    o = f"{base}/operations/{rec['id']}"
    return {
        "self": link(o),
        "transaction": link(f"{base}/transactions/{rec['transaction_hash']}"),
        "effects": link(o + "/effects"),
        "succeeds": link(f"{base}/effects?order=desc&cursor={rec['paging_token']}"),
        "precedes": link(f"{base}/effects?order=asc&cursor={rec['paging_token']}"),
    }


def ledger_record(h: Json) -> Json:
    return {
        "id": h["hash"],
        "paging_token": str(toid(h["sequence"])),
        "hash": h["hash"],
        "prev_hash": h["prev_hash"],
        "sequence": h["sequence"],
        "successful_transaction_count": h["successful_transaction_count"],
        "failed_transaction_count": h["failed_transaction_count"],
        "operation_count": h["operation_count"],
        "tx_set_operation_count": h["tx_set_operation_count"],
        "closed_at": iso(h["close_time"]),
        "total_coins": amount(h["total_coins"]),
        "fee_pool": amount(h["fee_pool"]),
        "base_fee_in_stroops": h["base_fee"],
        "base_reserve_in_stroops": h["base_reserve"],
        "max_tx_set_size": h["max_tx_set_size"],
        "protocol_version": h["protocol_version"],
        "header_xdr": h["header_xdr"],
    }


def ledger_links(base: str, rec: Json) -> Json:
    lg = f"{base}/ledgers/{rec['sequence']}"
    paged = "{?cursor,limit,order}"
    return {
        "self": link(lg),
        "transactions": link(lg + "/transactions" + paged, True),
        "operations": link(lg + "/operations" + paged, True),
        "payments": link(lg + "/payments" + paged, True),
        "effects": link(lg + "/effects" + paged, True),
    }
