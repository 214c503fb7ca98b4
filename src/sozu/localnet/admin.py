"""Loopback-only administration (/localnet/*) and the public friendbot."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from stellar_sdk import StrKey

from sozu.localnet import problems
from sozu.localnet.faults import Faults
from sozu.localnet.funding import BadAmount, FundRequest, to_stroops
from sozu.localnet.web_common import FAULTS, NET, base_url, ok, with_links

log = logging.getLogger("sozu.localnet")
CRASH_EXIT_CODE = 75  # the supervisor restarts the server when it exits with this


def _loopback(request: web.Request) -> bool:
    peer = request.remote or ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def _loopback_name(host: str) -> bool:
    """127.0.0.0/8, [::1] or localhost, with or without a port."""
    name = urlsplit(f"//{host}").hostname or ""
    if name in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def admin_refusal(request: web.Request) -> web.Response | None:
    """Why a web page must not drive this request (None: it may go on).

    A page on another site can make the browser send requests to 127.0.0.1: refuse any
    `Origin` that is not this server itself, any `Host` that is not a loopback name (a
    DNS-rebinding page addresses us by its own name), and any write that is not JSON (a plain
    form post cannot send `application/json` without a preflight, which we refuse).
    """
    host = request.headers.get("Host", "")
    if host and not _loopback_name(host):
        return problems.problem(
            "forbidden",
            "Forbidden",
            403,
            f"Admin endpoints of the local network answer only to a loopback Host, not {host!r}.",
        )
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{host}":
        return problems.problem(
            "forbidden",
            "Forbidden",
            403,
            f"Admin endpoints of the local network refuse requests from web pages of another "
            f"site (Origin {origin!r}).",
        )
    if request.method not in ("GET", "HEAD") and request.content_type != "application/json":
        return problems.problem(
            "unsupported_media_type",
            "Unsupported Media Type",
            415,
            "Admin endpoints of the local network take a JSON body: send "
            "Content-Type: application/json (an empty object {} when there is nothing to say).",
        )
    return None


@web.middleware
async def loopback_only(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith("/localnet"):
        return await handler(request)
    if not _loopback(request):
        response: web.StreamResponse = problems.forbidden()
    else:
        response = admin_refusal(request) or await handler(request)
    # No CORS on the admin endpoints: another origin's script may not even read them.
    if not response.prepared:
        response.headers.pop("Access-Control-Allow-Origin", None)
    return response


async def info(request: web.Request) -> web.Response:
    """The same JSON as `sozu localnet info` (written at start), else computed from here."""
    net = request.app[NET]
    path = net.config.data_dir / "info.json"
    if path.exists():
        return ok(json.loads(path.read_text()))
    return ok(net.info(base_url(request)))


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


async def fund(request: web.Request) -> web.Response:
    net = request.app[NET]
    try:
        body = await _json_body(request)
        address = str(body.get("address", ""))
        xlm = to_stroops(body.get("xlm", "0"))
        usdc = to_stroops(body.get("usdc", "0"))
    except (ValueError, BadAmount) as exc:
        return problems.bad_request("body", str(exc))
    if not StrKey.is_valid_ed25519_public_key(address):
        return problems.bad_request("address", "address must be a G... account id")
    if net.state.get(address) is None and xlm < 10_000_000:
        return problems.bad_request("xlm", "a new account needs at least 1 XLM")
    outcomes = await net.request_funding(FundRequest(address, xlm, usdc))
    base = base_url(request)
    for o in outcomes:
        rec = o.record
        if rec is not None and not rec["successful"]:
            return problems.tx_failed_codes(rec["envelope_xdr"], rec["result_xdr"], rec["_codes"])
    return ok(
        {
            "address": address,
            "transactions": [
                with_links(base, "transactions", o.record) for o in outcomes if o.record
            ],
        }
    )


async def friendbot(request: web.Request) -> web.Response:
    net = request.app[NET]
    addr = request.query.get("addr", "")
    if not StrKey.is_valid_ed25519_public_key(addr):
        return problems.bad_request("addr", "addr must be a valid account id")
    outcomes = await net.request_funding(FundRequest(addr, to_stroops("10000"), 0, friendbot=True))
    rec = outcomes[0].record if outcomes else None
    if rec is None:
        return problems.unavailable()
    if not rec["successful"]:
        return problems.tx_failed_codes(rec["envelope_xdr"], rec["result_xdr"], rec["_codes"])
    return ok(with_links(base_url(request), "transactions", rec))


def _crash_soon() -> None:
    log.warning("crash requested: exiting abruptly, queued transactions are lost")
    asyncio.get_running_loop().call_later(0.05, os._exit, CRASH_EXIT_CODE)


async def set_faults(request: web.Request) -> web.Response:
    try:
        body = await _json_body(request)
        faults = Faults.from_json(body)
    except (ValueError, TypeError) as exc:
        return problems.bad_request("body", str(exc))
    request.app[FAULTS][0] = faults
    if body.get("crash"):
        _crash_soon()
    return ok(faults.to_json())


async def get_faults(request: web.Request) -> web.Response:
    return ok(request.app[FAULTS][0].to_json())


async def clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS][0] = Faults()
    return ok(Faults().to_json())


async def streams(request: web.Request) -> web.Response:
    """How many event streams were opened since start (so a test waits for its own)."""
    return ok({"opened": request.app[NET].streams_opened})


async def crash(request: web.Request) -> web.Response:
    _crash_soon()
    return web.Response(
        status=202, text=json.dumps({"crashing": True}), content_type="application/json"
    )


def add_routes(app: web.Application) -> None:
    app.middlewares.append(loopback_only)
    r = app.router
    r.add_get("/localnet/info", info)
    r.add_post("/localnet/fund", fund)
    r.add_get("/localnet/faults", get_faults)
    r.add_post("/localnet/faults", set_faults)
    r.add_delete("/localnet/faults", clear_faults)
    r.add_post("/localnet/crash", crash)
    r.add_get("/localnet/streams", streams)
    r.add_get("/friendbot", friendbot)
    r.add_post("/friendbot", friendbot)
