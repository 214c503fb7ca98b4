"""The HTTP face of the network: Horizon's read endpoints, CORS, faults and app wiring."""

from __future__ import annotations

import asyncio
import logging
import statistics
from typing import Any

from aiohttp import web

from sozu.localnet import admin, problems, submit
from sozu.localnet.faults import Faults
from sozu.localnet.lists import accounts, never_any, plain_list, scoped_list
from sozu.localnet.network import Config, Network
from sozu.localnet.render import account_record, as_inner, iso, ledger_links, ledger_record
from sozu.localnet.sse import stream_account
from sozu.localnet.web_common import FAULTS, NET, base_url, ok, with_links

log = logging.getLogger("sozu.localnet")
Json = dict[str, Any]
HORIZON_VERSION = "22.0.0-sozu-localnet"
CORE_VERSION = "stellar-core 22.0.0 (sozu localnet)"
ALLOW_HEADERS = (
    "Content-Type, X-Client-Name, X-Client-Version, X-App-Name, X-App-Version, "
    "Authorization, Last-Event-ID, Accept, Cache-Control"
)


@web.middleware
async def edge(request: web.Request, handler: Any) -> web.StreamResponse:
    """CORS on every answer, preflights, injected faults, and problems for stray errors."""
    if request.method == "OPTIONS" and request.path.startswith("/localnet"):
        # No preflight passes for the admin endpoints: a page elsewhere cannot send them JSON.
        return web.Response(status=403)
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
    reading = (
        request.method == "GET"
        and faults.gets
        and path != "/friendbot"
        and (path != "/" or faults.root)
    )
    if (submitting or reading) and not path.startswith("/localnet"):
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.roll("rate_limit"):
            faults.get_hits += reading
            return problems.rate_limited()
        if faults.roll("unavailable"):
            faults.get_hits += reading
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
    if not resp.prepared and not path.startswith("/localnet"):
        resp.headers.setdefault("Access-Control-Allow-Origin", "*")
    return resp


# -- handlers ------------------------------------------------------------------------------------


async def root(request: web.Request) -> web.Response:
    net = request.app[NET]
    base = base_url(request)
    latest = net.latest
    faults = request.app[FAULTS][0]
    if faults.lag_ledgers and faults.lag_root:
        latest = max(1, latest - faults.lag_ledgers)  # a node behind the others
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


async def account(request: web.Request) -> web.StreamResponse:
    net = request.app[NET]
    account_id = request.match_info["account_id"]
    if "text/event-stream" in request.headers.get("Accept", ""):
        return await stream_account(request, net, account_id)
    acc = net.state.get(account_id)
    if acc is None:
        return problems.not_found()
    return ok(account_record(base_url(request), acc))


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
    lag = request.app[FAULTS][0].lag_ledgers
    if lag and int(found[0]["ledger"]) > net.latest - lag:
        return problems.not_found()  # a node that has not ingested that ledger yet
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
    # Like Horizon: how full the last ledger was; a surge shows as 1.00 and in fee_charged.
    usage = min(1.0, net.header["tx_set_operation_count"] / net.config.max_ops_per_ledger)
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
        r.add_get(f"/accounts/{{account_id}}/{kind}", scoped_list(kind, "account", "account_id"))
        r.add_get(f"/ledgers/{{seq}}/{kind}", scoped_list(kind, "ledger", "seq"))
        r.add_get(f"/{kind}", plain_list(kind))
    for kind in ("operations", "payments", "effects"):
        r.add_get(f"/transactions/{{tx_hash}}/{kind}", scoped_list(kind, "transaction", "tx_hash"))
    r.add_get("/operations/{op_id}/effects", scoped_list("effects", "operation", "op_id"))
    r.add_get("/transactions/{tx_hash}", transaction)
    r.add_get("/operations/{op_id}", operation)
    r.add_get("/ledgers", plain_list("ledgers"))
    r.add_get("/ledgers/{seq}", ledger)
    r.add_get("/fee_stats", fee_stats)
    for path in (
        "/offers",
        "/trades",
        "/claimable_balances",
        "/liquidity_pools",
        "/accounts/{account_id}/offers",
        "/accounts/{account_id}/trades",
    ):
        r.add_get(path, never_any)
    submit.add_routes(app)
    admin.add_routes(app)

    async def start_closing(app: web.Application) -> Any:
        task = asyncio.create_task(net.run())
        yield
        task.cancel()
        net.store.close()

    app.cleanup_ctx.append(start_closing)
    return app
