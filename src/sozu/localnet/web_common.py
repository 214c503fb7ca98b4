"""Shared pieces of the HTTP layer: app keys, base URL, JSON answers, records with links."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sozu.localnet import problems
from sozu.localnet.effects import effect_links
from sozu.localnet.faults import Faults
from sozu.localnet.network import Network
from sozu.localnet.render import ledger_links, ledger_record, op_links, tx_links

Json = dict[str, Any]
NET: web.AppKey[Network] = web.AppKey("net", Network)
FAULTS: web.AppKey[list[Faults]] = web.AppKey("faults", list)


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def dumps(body: Any) -> str:
    # Compact on purpose: with `indent`, json falls back to its slow pure-Python encoder.
    return json.dumps(body)


def ok(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=dumps(body), content_type="application/hal+json", headers=problems.CORS
    )


def public(rec: Json) -> Json:
    """A stored record without our private keys (names starting with "_")."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}


def with_links(base: str, kind: str, rec: Json) -> Json:
    if kind == "ledgers" and "close_time" in rec:  # stored as a header
        rec = ledger_record(rec)
    links = {
        "transactions": tx_links,
        "operations": op_links,
        "payments": op_links,
        "ledgers": ledger_links,
        "effects": effect_links,
    }[kind](base, rec)
    return {"_links": links, **public(rec)}
