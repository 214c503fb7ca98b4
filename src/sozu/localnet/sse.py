"""Server-sent event streams over the list endpoints (and an account), as Horizon serves them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sozu.localnet.lists import Cursor, cursor_of, fetch
from sozu.localnet.network import Network
from sozu.localnet.render import account_record
from sozu.localnet.web_common import base_url, with_links

HEARTBEAT_SECONDS = 10.0  # clients reconnect after ~15 s of silence
BATCH = 200


async def _serve(
    request: web.Request, net: Network, produce: Callable[[], Awaitable[tuple[bytes, bool]]]
) -> web.StreamResponse:
    """Greet, then after every ledger close write what `produce` returns (bytes, more now?)."""
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "Access-Control-Allow-Origin": "*",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    # Horizon's greeting: a named event, so JSON-parsing clients never see it as a record.
    await resp.write(b'retry: 1000\nevent: open\ndata: "hello"\n\n')
    net.streams_opened += 1  # the cursor is resolved: from here on, nothing is missed
    loop = asyncio.get_running_loop()
    last_write = loop.time()
    try:
        while True:
            closed = net.closed  # grab before reading, so no close slips between
            chunk, more = await produce()
            if chunk:
                await resp.write(chunk)
                last_write = loop.time()
            if more:
                continue
            timeout = max(0.1, HEARTBEAT_SECONDS - (loop.time() - last_write))
            try:
                await asyncio.wait_for(closed.wait(), timeout)
            except TimeoutError:
                await resp.write(b": heartbeat\n\n")  # a comment: every client skips it
                last_write = loop.time()
    except ConnectionResetError:
        pass  # the client went away
    return resp


async def stream(
    request: web.Request,
    net: Network,
    kind: str,
    scope: tuple[str, Any] | None,
    cursor: Cursor,
    include_failed: bool,
) -> web.StreamResponse:
    """Every record after the cursor, then each new one as ledgers close; id = paging token."""
    base = base_url(request)

    async def produce() -> tuple[bytes, bool]:
        nonlocal cursor
        rows = fetch(
            net, kind, cursor=cursor, desc=False, limit=BATCH, scope=scope, failed=include_failed
        )
        chunks = []
        for row in rows:
            rec = with_links(base, kind, row)
            chunks.append(f"id: {rec['paging_token']}\ndata: {json.dumps(rec)}\n\n")
            cursor = cursor_of(kind, rec["paging_token"])
        return "".join(chunks).encode(), len(rows) == BATCH

    return await _serve(request, net, produce)


async def stream_account(request: web.Request, net: Network, account_id: str) -> web.StreamResponse:
    """The account record now, and again whenever a ledger modifies it."""
    base = base_url(request)
    seen: int | None = None

    async def produce() -> tuple[bytes, bool]:
        nonlocal seen
        acc = net.state.get(account_id)
        if acc is None or acc.last_modified_ledger == seen:
            return b"", False
        seen = acc.last_modified_ledger
        return f"data: {json.dumps(account_record(base, acc))}\n\n".encode(), False

    return await _serve(request, net, produce)
