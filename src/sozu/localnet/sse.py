"""Server-sent event streams over the list endpoints, as Horizon serves them."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sozu.localnet.network import Network

if TYPE_CHECKING:
    from sozu.localnet.lists import Cursor

HEARTBEAT_SECONDS = 10.0  # clients reconnect after ~15 s of silence
BATCH = 200


async def stream(
    request: web.Request,
    net: Network,
    kind: str,
    scope: tuple[str, Any] | None,
    cursor: Cursor,
    include_failed: bool,
) -> web.StreamResponse:
    from sozu.localnet.lists import cursor_of, fetch
    from sozu.localnet.web_common import base_url, with_links

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
    base = base_url(request)
    loop = asyncio.get_running_loop()
    last_write = loop.time()
    try:
        while True:
            closed = net.closed  # grab before reading, so no close slips between
            rows = fetch(
                net,
                kind,
                cursor=cursor,
                desc=False,
                limit=BATCH,
                scope=scope,
                failed=include_failed,
            )
            if rows:
                chunks = []
                for row in rows:
                    rec = with_links(base, kind, row)
                    chunks.append(f"id: {rec['paging_token']}\ndata: {json.dumps(rec)}\n\n")
                    cursor = cursor_of(kind, rec["paging_token"])
                await resp.write("".join(chunks).encode())
                last_write = loop.time()
                if len(rows) == BATCH:
                    continue
            timeout = max(0.1, HEARTBEAT_SECONDS - (loop.time() - last_write))
            try:
                await asyncio.wait_for(closed.wait(), timeout)
            except TimeoutError:
                await resp.write(b": heartbeat\n\n")
                last_write = loop.time()
    except ConnectionResetError:
        pass  # the client went away
    return resp
