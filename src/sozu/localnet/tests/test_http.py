"""HTTP details clients rely on, served in-process: problems, CORS, SSE framing, filters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from stellar_sdk import Keypair

from sozu.localnet.network import Config
from sozu.localnet.server import build_app
from sozu.localnet.web_common import NET


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    app = build_app(Config(data_dir=tmp_path, close_seconds=0.05))
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def fund(client: TestClient, usdc: str = "0") -> str:
    address = Keypair.random().public_key
    r = await client.post("/localnet/fund", json={"address": address, "xlm": "10", "usdc": usdc})
    assert r.status == 200, await r.text()
    return address


@pytest.mark.asyncio
async def test_missing_account_is_a_problem_with_status_404(client: TestClient) -> None:
    r = await client.get(f"/accounts/{Keypair.random().public_key}")

    assert r.status == 404
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    body = await r.json(content_type=None)
    assert body["status"] == 404
    assert body["type"] == "https://stellar.org/horizon-errors/not_found"


@pytest.mark.asyncio
async def test_garbage_envelope_is_transaction_malformed(client: TestClient) -> None:
    r = await client.post("/transactions", data={"tx": "bm90IHhkcg=="})

    body = await r.json(content_type=None)
    assert r.status == 400
    assert body["type"].endswith("/transaction_malformed")
    assert body["extras"]["envelope_xdr"] == "bm90IHhkcg=="


@pytest.mark.asyncio
async def test_accounts_filter_by_asset_and_signer(client: TestClient) -> None:
    holder, plain = await fund(client, usdc="1"), await fund(client)
    issuer = client.app[NET].keys.issuer.public_key

    by_asset = await (await client.get(f"/accounts?asset=USDC:{issuer}")).json()
    by_signer = await (await client.get(f"/accounts?signer={plain}")).json()
    unfiltered = await client.get("/accounts")

    assert [r["id"] for r in by_asset["_embedded"]["records"]] == [holder]
    assert [r["id"] for r in by_signer["_embedded"]["records"]] == [plain]
    assert unfiltered.status == 400


@pytest.mark.asyncio
async def test_stream_greets_then_sends_only_records_after_the_cursor(client: TestClient) -> None:
    before = await fund(client)
    r = await client.get(
        "/ledgers?cursor=now", headers={"Accept": "text/event-stream", "Last-Event-ID": ""}
    )
    assert r.headers["Content-Type"].startswith("text/event-stream")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    head = await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)
    assert head == b'retry: 1000\nevent: open\ndata: "hello"\n\n'
    event = await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)
    lines = dict(line.split(": ", 1) for line in event.decode().strip().split("\n"))
    record = json.loads(lines["data"])
    assert lines["id"] == record["paging_token"]
    assert record["sequence"] > client.app[NET].latest - 2
    r.close()
    assert before


@pytest.mark.asyncio
async def test_effects_of_a_funding_page_by_account_and_by_operation(client: TestClient) -> None:
    holder = await fund(client, usdc="2")

    page = await (await client.get(f"/accounts/{holder}/effects?limit=200")).json()
    kinds = [
        (r["type"], r.get("amount") or r.get("starting_balance"))
        for r in page["_embedded"]["records"]
    ]
    tokens = [r["paging_token"] for r in page["_embedded"]["records"]]
    op_link = page["_embedded"]["records"][0]["_links"]["operation"]["href"]
    op_id = op_link.rsplit("/", 1)[1]
    of_op = await (await client.get(f"/operations/{op_id}/effects")).json()
    after_first = await (await client.get(f"/accounts/{holder}/effects?cursor={tokens[0]}")).json()

    # The trustline is written by the network directly, so it has no effect of its own.
    assert kinds == [
        ("account_created", "10.0000000"),
        ("signer_created", None),
        ("account_credited", "2.0000000"),
    ]
    assert tokens == sorted(tokens)
    assert {r["type"] for r in of_op["_embedded"]["records"]} >= {
        "account_created",
        "account_debited",
    }
    assert [r["paging_token"] for r in after_first["_embedded"]["records"]] == tokens[1:]


@pytest.mark.asyncio
async def test_last_event_id_beats_the_cursor_in_the_url(client: TestClient) -> None:
    await fund(client)
    first = (await (await client.get("/ledgers?limit=1")).json())["_embedded"]["records"][0]

    r = await client.get(
        "/ledgers?cursor=now",
        headers={"Accept": "text/event-stream", "Last-Event-ID": first["paging_token"]},
    )
    await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)  # greeting
    event = (await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)).decode()
    r.close()

    assert json.loads(event.split("data: ", 1)[1])["sequence"] == first["sequence"] + 1


@pytest.mark.asyncio
async def test_an_account_streams_its_record_again_when_a_ledger_changes_it(
    client: TestClient,
) -> None:
    address = await fund(client)
    r = await client.get(f"/accounts/{address}", headers={"Accept": "text/event-stream"})
    await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)  # greeting
    first = json.loads((await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5))[6:])

    await client.post("/localnet/fund", json={"address": address, "xlm": "5"})
    second = json.loads((await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5))[6:])
    r.close()

    assert first["id"] == second["id"] == address
    assert [b["balance"] for b in second["balances"]] == ["15.0000000"]


@pytest.mark.asyncio
async def test_offers_are_an_empty_page_and_join_embeds_transactions(client: TestClient) -> None:
    address = await fund(client)

    offers = await (await client.get(f"/accounts/{address}/offers")).json()
    joined = await (await client.get(f"/accounts/{address}/payments?join=transactions")).json()

    assert offers["_embedded"]["records"] == []
    [payment] = joined["_embedded"]["records"]
    assert payment["transaction"]["hash"] == payment["transaction_hash"]
