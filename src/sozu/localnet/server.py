"""The HTTP face of the network: Horizon's read endpoints, CORS, faults and app wiring."""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sozu.localnet import problems
from sozu.localnet.effects import effect_links, parse_effect_cursor
from sozu.localnet.faults import Faults
from sozu.localnet.network import Config, Network
from sozu.localnet.render import (
    account_record,
    as_inner,
    iso,
    ledger_links,
    ledger_record,
    op_links,
    tx_links,
)

log = logging.getLogger("sozu.localnet")
Json = dict[str, Any]
NET: web.AppKey[Network] = web.AppKey("net", Network)
FAULTS: web.AppKey[list[Faults]] = web.AppKey("faults", list)
HORIZON_VERSION = "22.0.0-sozu-localnet"
CORE_VERSION = "stellar-core 22.0.0 (sozu localnet)"
ALLOW_HEADERS = (
    "Content-Type, X-Client-Name, X-Client-Version, X-App-Name, X-App-Version, "
    "Authorization, Last-Event-ID, Accept, Cache-Control"
)


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


@web.middleware
async def edge(request: web.Request, handler: Any) -> web.StreamResponse:
    """CORS on every answer, preflights, injected faults, and problems for stray errors."""
    if request.method == "OPTIONS":
        return web.Response(
            status=204,
            headers={
                **problems.CORS,
                "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": request.headers.get(
                    "Access-Control-Request-Headers", ALLOW_HEADERS
                )
                or ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
            },
        )
    faults = request.app[FAULTS][0]
    path = request.path
    submitting = request.method == "POST" and path.startswith("/transactions")
    reading = request.method == "GET" and faults.gets and path not in ("/", "/friendbot")
    if (submitting or reading) and not path.startswith("/localnet"):
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.roll("rate_limit"):
            return problems.rate_limited()
        if faults.roll("unavailable"):
            return problems.unavailable()
    try:
        resp = await handler(request)
    except web.HTTPNotFound:
        return problems.not_found()
    except web.HTTPMethodNotAllowed:
        return problems.problem(
            "method_not_allowed", "Method Not Allowed", 405, "This method is not allowed."
        )
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except web.HTTPException:
        raise
    except Exception:
        log.exception("error serving %s %s", request.method, request.path)
        return problems.problem(
            "server_error",
            "Internal Server Error",
            500,
            "An error occurred while processing this request.",
        )
    if not resp.prepared:
        resp.headers.setdefault("Access-Control-Allow-Origin", "*")
    return resp


# -- paging --------------------------------------------------------------------------------------


class BadParam(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


Cursor = int | tuple[int, int]  # a toid, or (operation toid, order) for effects


def paging(request: web.Request, net: Network, kind: str) -> tuple[Cursor, bool, int]:
    q = request.query
    order = q.get("order", "asc") or "asc"
    if order not in ("asc", "desc"):
        raise BadParam("order", "order: invalid value, must be asc or desc")
    desc = order == "desc"
    raw_limit = q.get("limit", "10") or "10"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 200:
        raise BadParam("limit", "limit: must be an integer between 1 and 200")
    raw = q.get("cursor") or request.headers.get("Last-Event-ID") or ""
    if raw == "now":
        cursor = net.cursor_now()
    elif raw == "":
        cursor = 2**63 - 1 if desc else 0
    else:
        try:
            cursor, order_in_op = parse_effect_cursor(raw) if kind == "effects" else (int(raw), 0)
        except ValueError as exc:
            raise BadParam("cursor", "cursor: must be a paging token or 'now'") from exc
        if cursor < 0:
            raise BadParam("cursor", "cursor: must be non-negative")
        if kind == "effects":
            return (cursor, order_in_op), desc, int(raw_limit)
    return ((cursor, 0) if kind == "effects" else cursor), desc, int(raw_limit)


def fetch(
    net: Network,
    kind: str,
    *,
    cursor: Cursor,
    desc: bool,
    limit: int,
    scope: tuple[str, Any] | None,
    failed: bool,
) -> list[Json]:
    if isinstance(cursor, tuple):
        return net.store.effects_page(cursor=cursor, desc=desc, limit=limit, scope=scope)
    return net.store.page(
        kind, cursor=cursor, desc=desc, limit=limit, scope=scope, include_failed=failed
    )


def cursor_of(kind: str, paging_token: str) -> Cursor:
    return parse_effect_cursor(paging_token) if kind == "effects" else int(paging_token)


def page(request: web.Request, records: list[Json], *, desc: bool, limit: int) -> Json:
    base = base_url(request)
    path = base + request.path
    # Client identification params (X-Client-Name, …) are noise, not part of the query.
    keep = {
        k: v
        for k, v in request.query.items()
        if k not in ("cursor", "order", "limit") and not k.lower().startswith("x-")
    }

    def href(cursor: str, order: str) -> Json:
        query = {**keep, "cursor": cursor, "limit": str(limit), "order": order}
        return {"href": f"{path}?{urlencode(query)}"}

    order = "desc" if desc else "asc"
    first = records[0]["paging_token"] if records else request.query.get("cursor", "")
    last = records[-1]["paging_token"] if records else request.query.get("cursor", "")
    return {
        "_links": {
            "self": href(request.query.get("cursor", ""), order),
            "next": href(last, order),
            "prev": href(first, "asc" if desc else "desc"),
        },
        "_embedded": {"records": records},
    }


def include_failed(request: web.Request, scope: tuple[str, Any] | None) -> bool:
    """Horizon hides failed transactions from lists unless asked (or scoped to one tx)."""
    if scope is not None and scope[0] == "transaction":
        return True
    return request.query.get("include_failed", "false").lower() == "true"


async def collection(
    request: web.Request, kind: str, scope: tuple[str, Any] | None = None
) -> web.StreamResponse:
    net = request.app[NET]
    try:
        cursor, desc, limit = paging(request, net, kind)
    except BadParam as exc:
        return problems.bad_request(exc.field, str(exc))
    if "text/event-stream" in request.headers.get("Accept", ""):
        from sozu.localnet.sse import stream

        return await stream(request, net, kind, scope, cursor, include_failed(request, scope))
    base = base_url(request)
    failed = include_failed(request, scope)
    rows = fetch(net, kind, cursor=cursor, desc=desc, limit=limit, scope=scope, failed=failed)
    return ok(page(request, [with_links(base, kind, r) for r in rows], desc=desc, limit=limit))


# -- handlers ------------------------------------------------------------------------------------


async def root(request: web.Request) -> web.Response:
    net = request.app[NET]
    base = base_url(request)
    latest = net.latest
    return ok(
        {
            "_links": {
                "account": {"href": base + "/accounts/{account_id}", "templated": True},
                "account_transactions": {
                    "href": base + "/accounts/{account_id}/transactions{?cursor,limit,order}",
                    "templated": True,
                },
                "fee_stats": {"href": base + "/fee_stats"},
                "friendbot": {"href": base + "/friendbot{?addr}", "templated": True},
                "ledger": {"href": base + "/ledgers/{sequence}", "templated": True},
                "ledgers": {"href": base + "/ledgers{?cursor,limit,order}", "templated": True},
                "operation": {"href": base + "/operations/{id}", "templated": True},
                "operations": {
                    "href": base + "/operations{?cursor,limit,order}",
                    "templated": True,
                },
                "payments": {"href": base + "/payments{?cursor,limit,order}", "templated": True},
                "self": {"href": base + "/"},
                "transaction": {"href": base + "/transactions/{hash}", "templated": True},
                "transactions": {
                    "href": base + "/transactions{?cursor,limit,order}",
                    "templated": True,
                },
            },
            "horizon_version": HORIZON_VERSION,
            "core_version": CORE_VERSION,
            "ingest_latest_ledger": latest,
            "history_latest_ledger": latest,
            "history_latest_ledger_closed_at": iso(net.header["close_time"]),
            "history_elder_ledger": 1,
            "core_latest_ledger": latest,
            "network_passphrase": net.config.passphrase,
            "current_protocol_version": net.header["protocol_version"],
            "supported_protocol_version": net.header["protocol_version"],
            "core_supported_protocol_version": net.header["protocol_version"],
        }
    )


async def account(request: web.Request) -> web.Response:
    net = request.app[NET]
    acc = net.state.get(request.match_info["account_id"])
    if acc is None:
        return problems.not_found()
    return ok(account_record(base_url(request), acc))


def _account_filter(q: Any) -> Any:
    """Horizon's /accounts filters; exactly what it supports that we model."""
    if q.get("signer"):
        key = q["signer"]
        return lambda a: a.account_id == key or key in a.signers
    if q.get("sponsor"):
        s = q["sponsor"]
        return lambda a: (
            a.sponsor == s
            or any(sp == s for _, sp in a.signers.values())
            or any(t.sponsor == s for t in a.trustlines.values())
            or any(sp == s for _, sp in a.data.values())
        )
    if q.get("asset"):
        code, _, issuer = q["asset"].partition(":")
        return lambda a: (code, issuer) in a.trustlines
    return None


async def accounts(request: web.Request) -> web.Response:
    net = request.app[NET]
    q = request.query
    keep = _account_filter(q)
    if keep is None:
        return problems.bad_request(
            "signer, sponsor, asset, liquidity_pool",
            "This endpoint requires one of: signer, sponsor, asset or liquidity_pool",
        )
    desc = q.get("order", "asc") == "desc"
    raw_limit = q.get("limit", "10") or "10"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 200:
        return problems.bad_request("limit", "limit: must be an integer between 1 and 200")
    cursor = q.get("cursor", "")
    ids = sorted((a for a in net.state.accounts.values() if keep(a)), key=lambda a: a.account_id)
    if desc:
        ids.reverse()
        chosen = [a for a in ids if not cursor or a.account_id < cursor]
    else:
        chosen = [a for a in ids if a.account_id > cursor]
    base = base_url(request)
    records = [account_record(base, a) for a in chosen[: int(raw_limit)]]
    return ok(page(request, records, desc=desc, limit=int(raw_limit)))


async def account_data(request: web.Request) -> web.Response:
    net = request.app[NET]
    acc = net.state.get(request.match_info["account_id"])
    entry = acc.data.get(request.match_info["key"]) if acc else None
    if entry is None:
        return problems.not_found()
    if request.headers.get("Accept", "").startswith("application/octet-stream"):
        return web.Response(body=entry[0], content_type="application/octet-stream")
    import base64

    return ok(
        {"value": base64.b64encode(entry[0]).decode(), "sponsor": entry[1]}
        if entry[1]
        else {"value": base64.b64encode(entry[0]).decode()}
    )


async def transaction(request: web.Request) -> web.Response:
    net = request.app[NET]
    found = net.store.tx_by_hash(request.match_info["tx_hash"].lower())
    if found is None:
        return problems.not_found()
    rec, by_inner = found
    if by_inner:
        rec = as_inner(rec)
    return ok(with_links(base_url(request), "transactions", rec))


async def operation(request: web.Request) -> web.Response:
    net = request.app[NET]
    raw = request.match_info["op_id"]
    rec = net.store.op_by_id(int(raw)) if raw.isdigit() else None
    if rec is None:
        return problems.not_found()
    return ok(with_links(base_url(request), "operations", rec))


async def ledger(request: web.Request) -> web.Response:
    net = request.app[NET]
    raw = request.match_info["seq"]
    h = net.store.ledger(int(raw)) if raw.isdigit() else None
    if h is None:
        return problems.not_found()
    rec = ledger_record(h)
    return ok({"_links": ledger_links(base_url(request), rec), **rec})


def _scoped(kind: str, scope_kind: str, key: str) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        net = request.app[NET]
        value: Any = request.match_info[key]
        if scope_kind == "transaction":
            value = net.store.tx_id_of(value.lower())
            if value is None:
                return problems.not_found()
        elif scope_kind in ("ledger", "operation"):
            if not str(value).isdigit():
                return problems.not_found()
            value = int(value)
        elif scope_kind == "account" and net.state.get(value) is None:
            # Horizon still serves the history of merged accounts; an unknown one has none.
            pass
        return await collection(request, kind, (scope_kind, value))

    return handler


def _plain(kind: str) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await collection(request, kind)

    return handler


def _percentiles(values: list[int]) -> Json:
    if not values:
        values = [100]
    values.sort()
    out: Json = {
        "max": str(values[-1]),
        "min": str(values[0]),
        "mode": str(statistics.mode(values)),
    }
    for p in (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99):
        out[f"p{p}"] = str(values[min(len(values) - 1, (len(values) * p) // 100)])
    return out


async def fee_stats(request: web.Request) -> web.Response:
    net = request.app[NET]
    charged = [c for ledger in net.recent_fees for c, _ in ledger]
    bids = [b for ledger in net.recent_fees for _, b in ledger]
    queued_ops = sum(q.env.op_count for q in net.queue.values())
    usage = min(
        1.0, max(queued_ops, net.header["tx_set_operation_count"]) / net.config.max_ops_per_ledger
    )
    return ok(
        {
            "last_ledger": str(net.latest),
            "last_ledger_base_fee": str(net.header["base_fee"]),
            "ledger_capacity_usage": f"{usage:.2f}",
            "fee_charged": _percentiles(charged),
            "max_fee": _percentiles(bids),
        }
    )


def build_app(config: Config, faults: Faults | None = None) -> web.Application:
    from sozu.localnet import admin, submit

    net = Network(config)
    app = web.Application(middlewares=[edge], client_max_size=8 * 1024 * 1024)
    app[NET] = net
    app[FAULTS] = [faults or Faults()]
    r = app.router
    r.add_get("/", root)
    r.add_get("/accounts", accounts)
    r.add_get("/accounts/{account_id}", account)
    r.add_get("/accounts/{account_id}/data/{key}", account_data)
    for kind in ("transactions", "operations", "payments", "effects"):
        r.add_get(f"/accounts/{{account_id}}/{kind}", _scoped(kind, "account", "account_id"))
        r.add_get(f"/ledgers/{{seq}}/{kind}", _scoped(kind, "ledger", "seq"))
        r.add_get(f"/{kind}", _plain(kind))
    for kind in ("operations", "payments", "effects"):
        r.add_get(f"/transactions/{{tx_hash}}/{kind}", _scoped(kind, "transaction", "tx_hash"))
    r.add_get("/operations/{op_id}/effects", _scoped("effects", "operation", "op_id"))
    r.add_get("/transactions/{tx_hash}", transaction)
    r.add_get("/operations/{op_id}", operation)
    r.add_get("/ledgers", _plain("ledgers"))
    r.add_get("/ledgers/{seq}", ledger)
    r.add_get("/fee_stats", fee_stats)
    submit.add_routes(app)
    admin.add_routes(app)

    async def start_closing(app: web.Application) -> Any:
        task = asyncio.create_task(net.run())
        yield
        task.cancel()
        net.store.close()

    app.cleanup_ctx.append(start_closing)
    return app
