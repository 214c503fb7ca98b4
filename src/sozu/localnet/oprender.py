"""Horizon's operation records (and who participates in each) for an included transaction."""

from __future__ import annotations

import base64
from typing import Any

from stellar_sdk import xdr as X

from sozu.localnet.envelope import Envelope, Op, account_of
from sozu.localnet.ops.base import asset_code_text, asset_key, g_address
from sozu.localnet.render import _muxed_id, amount, iso, toid
from sozu.localnet.results import TxResult
from sozu.localnet.signatures import signer_key_strkey

Json = dict[str, Any]
OT = X.OperationType
PAYMENT_TYPES = {
    OT.CREATE_ACCOUNT.value,
    OT.PAYMENT.value,
    OT.PATH_PAYMENT_STRICT_RECEIVE.value,
    OT.PATH_PAYMENT_STRICT_SEND.value,
    OT.ACCOUNT_MERGE.value,
}
_FLAG_NAMES = {
    1: "auth_required",
    2: "auth_revocable",
    4: "auth_immutable",
    8: "auth_clawback_enabled",
}
_TL_FLAG_NAMES = {1: "authorized", 2: "authorized_to_maintain_liabilites", 4: "clawback_enabled"}


def _flags(value: int, names: dict[int, str]) -> tuple[list[int], list[str]]:
    bits = [b for b in names if value & b]
    return bits, [names[b] for b in bits]


def _asset(asset: Any) -> Json:
    key = asset_key(asset)
    if not isinstance(key, tuple):
        return {"asset_type": "native"}
    code, issuer = key
    kind = "credit_alphanum4" if len(code) <= 4 else "credit_alphanum12"
    return {"asset_type": kind, "asset_code": code, "asset_issuer": issuer}


def _put_muxed(rec: Json, field: str, muxed: X.MuxedAccount) -> str:
    g, m, mid = account_of(muxed)
    rec[field] = g
    if m is not None:
        rec[field + "_muxed"] = m
        rec[field + "_muxed_id"] = str(mid)
    return g


def _details(env: Envelope, op: Op, source: str, rec: Json) -> set[str]:
    """Fill the type-specific fields; return the other accounts taking part."""
    b = op.body
    t = op.type
    if t == OT.CREATE_ACCOUNT.value and b.create_account_op is not None:
        dest = g_address(b.create_account_op.destination)
        rec["starting_balance"] = amount(b.create_account_op.starting_balance.int64)
        rec["funder"] = source
        rec["account"] = dest
        return {dest}
    if t == OT.PAYMENT.value and b.payment_op is not None:
        rec.update(_asset(b.payment_op.asset))
        rec["from"] = source
        if op.source_muxed or (op.source is None and env.source_muxed):
            rec["from_muxed"] = op.source_muxed or env.source_muxed
            rec["from_muxed_id"] = _muxed_id(rec["from_muxed"])
        dest = _put_muxed(rec, "to", b.payment_op.destination)
        rec["amount"] = amount(b.payment_op.amount.int64)
        return {dest}
    if t == OT.ACCOUNT_MERGE.value and b.destination is not None:
        rec["account"] = source
        return {_put_muxed(rec, "into", b.destination)}
    if t == OT.CHANGE_TRUST.value and b.change_trust_op is not None:
        rec.update(_asset(b.change_trust_op.line))
        rec["limit"] = amount(b.change_trust_op.limit.int64)
        rec["trustee"] = rec.get("asset_issuer")
        rec["trustor"] = source
        return {rec["trustee"]} if rec["trustee"] else set()
    if t == OT.SET_OPTIONS.value and b.set_options_op is not None:
        so = b.set_options_op
        if so.home_domain is not None:
            rec["home_domain"] = so.home_domain.string32.decode()
        for name, v in (
            ("master_key_weight", so.master_weight),
            ("low_threshold", so.low_threshold),
            ("med_threshold", so.med_threshold),
            ("high_threshold", so.high_threshold),
        ):
            if v is not None:
                rec[name] = v.uint32
        if so.signer is not None:
            rec["signer_key"] = signer_key_strkey(so.signer.key)
            rec["signer_weight"] = so.signer.weight.uint32
        for name, v in (("set_flags", so.set_flags), ("clear_flags", so.clear_flags)):
            if v is not None and v.uint32:
                rec[name], rec[name + "_s"] = _flags(v.uint32, _FLAG_NAMES)
        return set()
    if t == OT.MANAGE_DATA.value and b.manage_data_op is not None:
        rec["name"] = b.manage_data_op.data_name.string64.decode(errors="replace")
        dv = b.manage_data_op.data_value
        rec["value"] = base64.b64encode(dv.data_value).decode() if dv is not None else ""
        return set()
    if t == OT.BUMP_SEQUENCE.value and b.bump_sequence_op is not None:
        rec["bump_to"] = str(b.bump_sequence_op.bump_to.sequence_number.int64)
        return set()
    if t == OT.BEGIN_SPONSORING_FUTURE_RESERVES.value and b.begin_sponsoring_future_reserves_op:
        sponsored = g_address(b.begin_sponsoring_future_reserves_op.sponsored_id)
        rec["sponsored_id"] = sponsored
        return {sponsored}
    if t == OT.END_SPONSORING_FUTURE_RESERVES.value:
        for prior in reversed(env.ops[: op.index]):
            begin = prior.body.begin_sponsoring_future_reserves_op
            if begin is not None and g_address(begin.sponsored_id) == source:
                rec["begin_sponsor"] = prior.source or env.source
                return {rec["begin_sponsor"]}
        return set()
    if t == OT.ALLOW_TRUST.value and b.allow_trust_op is not None:
        at = b.allow_trust_op
        code = asset_code_text(at.asset)
        rec.update(
            {
                "asset_type": "credit_alphanum4" if len(code) <= 4 else "credit_alphanum12",
                "asset_code": code,
                "asset_issuer": source,
                "trustee": source,
                "trustor": g_address(at.trustor),
                "authorize": bool(at.authorize.uint32 & 1),
                "authorize_to_maintain_liabilities": bool(at.authorize.uint32 & 2),
            }
        )
        return {rec["trustor"]}
    if t == OT.SET_TRUST_LINE_FLAGS.value and b.set_trust_line_flags_op is not None:
        st = b.set_trust_line_flags_op
        rec.update(_asset(st.asset))
        rec["trustor"] = g_address(st.trustor)
        for name, v in (("set_flags", st.set_flags), ("clear_flags", st.clear_flags)):
            if v.uint32:
                rec[name], rec[name + "_s"] = _flags(v.uint32, _TL_FLAG_NAMES)
        return {rec["trustor"]}
    return set()


def op_records(
    env: Envelope, result: TxResult, *, ledger: int, index: int, close_time: int
) -> list[tuple[int, bool, set[str], Json]]:
    """(op id, is a payment, participant accounts, record without `_links`) per operation."""
    out = []
    created = iso(close_time)
    for op in env.ops:
        oid = toid(ledger, index, op.index + 1)
        source = op.source or env.source
        rec: Json = {
            "id": str(oid),
            "paging_token": str(oid),
            "transaction_successful": result.successful,
            "source_account": source,
        }
        muxed = op.source_muxed if op.source else env.source_muxed
        if muxed:
            rec["source_account_muxed"] = muxed
            rec["source_account_muxed_id"] = _muxed_id(muxed)
        rec["type"] = OT(op.type).name.lower()
        rec["type_i"] = op.type
        rec["created_at"] = created
        rec["transaction_hash"] = env.hash_hex
        others = _details(env, op, source, rec)
        out.append((oid, op.type in PAYMENT_TYPES, {source, *others}, rec))
    return out
