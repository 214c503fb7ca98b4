"""Horizon effect records, from what each operation reported while applying."""

from __future__ import annotations

from typing import Any

from sozu.localnet.render import amount, iso, link

Json = dict[str, Any]

TYPE_I = {
    "account_created": 0,
    "account_removed": 1,
    "account_credited": 2,
    "account_debited": 3,
    "account_thresholds_updated": 4,
    "account_home_domain_updated": 5,
    "account_flags_updated": 6,
    "signer_created": 10,
    "signer_removed": 11,
    "signer_updated": 12,
    "trustline_created": 20,
    "trustline_removed": 21,
    "trustline_updated": 22,
    "trustline_flags_updated": 26,
    "data_created": 40,
    "data_removed": 41,
    "data_updated": 42,
    "sequence_bumped": 43,
    "account_sponsorship_created": 60,
    "trustline_sponsorship_created": 63,
    "data_sponsorship_created": 66,
    "signer_sponsorship_created": 72,
}
_AMOUNTS = ("amount", "starting_balance", "limit")


def effect_id(op_id: int, order: int) -> str:
    return f"{op_id:019d}-{order:010d}"


def parse_effect_cursor(text: str) -> tuple[int, int]:
    """An effect paging token ("op id-order"), or an operation id meaning before its effects."""
    op, _, order = text.partition("-")
    return int(op), int(order or 0)


def effect_record(
    op_id: int, order: int, account: str, kind: str, fields: Json, close_time: int
) -> Json:
    eid = effect_id(op_id, order)
    rec: Json = {
        "id": eid,
        "paging_token": eid,
        "account": account,
        "type": kind,
        "type_i": TYPE_I[kind],
        "created_at": iso(close_time),
    }
    for k, v in fields.items():
        rec[k] = amount(v) if k in _AMOUNTS and isinstance(v, int) else v
    return rec


def effect_links(base: str, rec: Json) -> Json:
    op_id = int(rec["id"].split("-")[0])
    return {
        "operation": link(f"{base}/operations/{op_id}"),
        "succeeds": link(f"{base}/effects?order=desc&cursor={rec['paging_token']}"),
        "precedes": link(f"{base}/effects?order=asc&cursor={rec['paging_token']}"),
    }
