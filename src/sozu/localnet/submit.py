"""POST /transactions (answers once a ledger includes the tx) and POST /transactions_async."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from sozu.localnet import problems
from sozu.localnet.envelope import Envelope, MalformedEnvelope, decode
from sozu.localnet.network import Network, Outcome, Status
from sozu.localnet.web_common import FAULTS, NET, base_url, ok, public, with_links

SUBMIT_TIMEOUT = 30.0  # Horizon gives up waiting for inclusion after 30 s


async def _read_envelope(request: web.Request) -> tuple[str, Envelope | web.Response]:
    ctype = request.content_type
    if ctype not in ("", "application/x-www-form-urlencoded", "multipart/form-data"):
        return "", problems.problem(
            "unsupported_media_type",
            "Unsupported Media Type",
            415,
            "The request has an unsupported content type. Presently, the only supported "
            "content type is application/x-www-form-urlencoded.",
        )
    form = await request.post()
    raw = str(form.get("tx", ""))
    if not raw:
        return "", problems.bad_request("tx", "Transaction is missing from request body.")
    net = request.app[NET]
    try:
        return raw, decode(raw.strip(), net.config.passphrase)
    except MalformedEnvelope:
        return raw, problems.malformed(raw)


def _answer_record(request: web.Request, env_xdr: str, rec: dict[str, Any]) -> web.Response:
    if rec["successful"]:
        return ok(with_links(base_url(request), "transactions", rec))
    return problems.tx_failed_codes(env_xdr, rec["result_xdr"], rec["_codes"])


def _answer_outcome(request: web.Request, env: Envelope, outcome: Outcome) -> web.Response:
    if outcome.record is not None:
        return _answer_record(request, env.xdr, outcome.record)
    assert outcome.error is not None
    return problems.tx_failed(env.xdr, outcome.error)


async def _wait_included(net: Network, env: Envelope, deadline: float) -> Outcome | None:
    """Wait for the tx's ledger; while core says TRY_AGAIN_LATER, retry after each close."""
    loop = asyncio.get_running_loop()
    while True:
        fut = net.wait_for(env.hash_hex)
        if fut is not None:
            try:
                return await asyncio.wait_for(fut, max(0.0, deadline - loop.time()))
            except TimeoutError:
                return None
        found = net.store.tx_by_hash(env.hash_hex)
        if found is not None:
            return Outcome(record=found[0])
        status, err = net.submit(env)
        if status is Status.ERROR:
            return Outcome(error=err)
        if status is Status.TRY_AGAIN_LATER:
            closed = net.closed
            try:
                await asyncio.wait_for(closed.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                return None


async def submit_transaction(request: web.Request) -> web.Response:
    net = request.app[NET]
    faults = request.app[FAULTS][0]
    raw, env = await _read_envelope(request)
    if isinstance(env, web.Response):
        return env
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SUBMIT_TIMEOUT
    found = net.store.tx_by_hash(env.hash_hex)
    if found is not None:
        if faults.roll("lost_response_after_inclusion"):
            return problems.submission_timeout(env.hash_hex, raw)
        return _answer_record(request, raw, found[0])
    if faults.roll("timeout_before_inclusion"):
        # The submission is lost on its way to core: never included, the client sees 504.
        await asyncio.sleep(min(net.config.close_seconds, 5.0))
        return problems.submission_timeout(env.hash_hex, raw)
    lose_response = faults.roll("lost_response_after_inclusion")
    status, err = net.submit(env)
    if status is Status.ERROR:
        assert err is not None
        return problems.tx_failed(raw, err)
    outcome = await _wait_included(net, env, deadline)
    if outcome is None:
        return problems.submission_timeout(env.hash_hex, raw)
    if lose_response and outcome.record is not None:
        return problems.submission_timeout(env.hash_hex, raw)
    return _answer_outcome(request, env, outcome)


ASYNC_STATUS = {
    Status.PENDING: 201,
    Status.DUPLICATE: 409,
    Status.TRY_AGAIN_LATER: 503,
    Status.ERROR: 400,
}


async def submit_transaction_async(request: web.Request) -> web.Response:
    net = request.app[NET]
    faults = request.app[FAULTS][0]
    raw, env = await _read_envelope(request)
    if isinstance(env, web.Response):
        return env
    if faults.roll("timeout_before_inclusion"):
        return problems.submission_timeout(env.hash_hex, raw)
    lose_response = faults.roll("lost_response_after_inclusion")
    status, err = net.submit(env)
    if lose_response and status is Status.PENDING:
        return problems.submission_timeout(env.hash_hex, raw)
    body: dict[str, Any] = {"tx_status": status.value, "hash": env.hash_hex}
    if status is Status.ERROR:
        assert err is not None
        body["error_result_xdr"] = err.to_xdr()
    return web.Response(
        status=ASYNC_STATUS[status],
        text=json.dumps(body),
        content_type="application/json",
        headers=problems.CORS,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/transactions", submit_transaction)
    app.router.add_post("/transactions_async", submit_transaction_async)


__all__ = ["add_routes", "public"]
