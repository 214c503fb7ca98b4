"""Horizon's list endpoints: cursor/order/limit paging, scopes, and the `/accounts` filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sozu.localnet import problems
from sozu.localnet.effects import parse_effect_cursor
from sozu.localnet.network import Network
from sozu.localnet.render import account_record
from sozu.localnet.web_common import NET, base_url, ok, with_links

Json = dict[str, Any]


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
    # As Horizon: a reconnecting EventSource's Last-Event-ID beats the cursor in its URL.
    raw = request.headers.get("Last-Event-ID") or q.get("cursor") or ""
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
        from sozu.localnet.sse import stream  # sse imports this module

        return await stream(request, net, kind, scope, cursor, include_failed(request, scope))
    base = base_url(request)
    failed = include_failed(request, scope)
    rows = fetch(net, kind, cursor=cursor, desc=desc, limit=limit, scope=scope, failed=failed)
    records = [with_links(base, kind, r) for r in rows]
    if kind in ("operations", "payments") and request.query.get("join") == "transactions":
        join_transactions(net, base, records)
    return ok(page(request, records, desc=desc, limit=limit))


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


def scoped_list(kind: str, scope_kind: str, key: str) -> Any:
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
        return await collection(request, kind, (scope_kind, value))

    return handler


async def never_any(request: web.Request) -> web.Response:
    """Offers, trades, claimable balances, pools: no supported operation creates one."""
    desc = request.query.get("order", "asc") == "desc"
    raw_limit = request.query.get("limit", "10") or "10"
    limit = int(raw_limit) if raw_limit.isdigit() else 10
    return ok(page(request, [], desc=desc, limit=limit))


def join_transactions(net: Network, base: str, records: list[Json]) -> None:
    """`?join=transactions`: embed each operation's transaction, as Horizon does."""
    cache: dict[str, Json] = {}
    for rec in records:
        h = rec.get("transaction_hash")
        if h is None:
            continue
        if h not in cache:
            found = net.store.tx_by_hash(h)
            if found is None:
                continue
            cache[h] = with_links(base, "transactions", found[0])
        rec["transaction"] = cache[h]


def plain_list(kind: str) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await collection(request, kind)

    return handler
