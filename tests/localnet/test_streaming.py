"""A watcher streams an account's payments (SSE) with both clients and resumes from a cursor."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from typing import Any

import pytest
import requests
from stellar_sdk import Asset, Keypair, Server, ServerAsync
from stellar_sdk.exceptions import BadRequestError

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import builder, signed, wait_for
from tests.localnet_process import LocalNet

WAIT = 15.0


def streams_opened(net: LocalNet) -> int:
    return int(requests.get(net.url + "/localnet/streams", timeout=5).json()["opened"])


def wait_stream_open(net: LocalNet, before: int) -> None:
    """Until the network has opened the stream (its cursor resolved): no fixed sleep."""
    wait_for(lambda: streams_opened(net) > before, timeout=WAIT)


def pay(net: LocalNet, server: Server, payer: Keypair, to: str, amount: str) -> dict[str, Any]:
    envelope = (
        builder(net, server.load_account(payer))
        .append_payment_op(to, Asset.native(), amount)
        .build()
    )
    return server.submit_transaction(signed(envelope, payer))


def stream_in_background(url: str, account_id: str, cursor: str) -> queue.Queue[dict[str, Any]]:
    """Run the sync client's blocking stream in a daemon thread so a test can never hang."""
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    def consume() -> None:
        try:
            stream = Server(url).payments().for_account(account_id).cursor(cursor).stream()
            for record in stream:
                received.put(record)
        except Exception:  # noqa: S110 - the network stops under the thread at session end
            pass

    threading.Thread(target=consume, daemon=True).start()
    return received


def next_payment(received: queue.Queue[dict[str, Any]]) -> dict[str, Any]:
    try:
        return received.get(timeout=WAIT)
    except queue.Empty:
        raise AssertionError(f"no payment streamed within {WAIT} s") from None


def test_sync_stream_from_now_delivers_a_payment_made_after_it_opened(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    before = streams_opened(localnet)
    received = stream_in_background(localnet.url, alice.public_key, "now")
    wait_stream_open(localnet, before)

    submitted = pay(localnet, server, bob, alice.public_key, "4.2")

    record = next_payment(received)
    assert record["transaction_hash"] == submitted["hash"]
    assert record["type"] == "payment"
    assert record["to"] == alice.public_key
    assert record["amount"] == "4.2000000"


def test_a_failed_payment_is_not_streamed(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account(xlm="20")
    before = streams_opened(localnet)
    received = stream_in_background(localnet.url, alice.public_key, "now")
    wait_stream_open(localnet, before)

    failed = signed(
        builder(localnet, server.load_account(bob))
        .append_payment_op(alice.public_key, Asset.native(), "500")
        .build(),
        bob,
    )
    with pytest.raises(BadRequestError):
        server.submit_transaction(failed)
    succeeded = pay(localnet, server, bob, alice.public_key, "1")

    assert next_payment(received)["transaction_hash"] == succeeded["hash"]


def test_sync_stream_resumes_after_its_cursor_without_replaying(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    first = pay(localnet, server, bob, alice.public_key, "1")
    second = pay(localnet, server, bob, alice.public_key, "2")
    [seen] = server.payments().for_transaction(first["hash"]).call()["_embedded"]["records"]

    received = stream_in_background(localnet.url, alice.public_key, seen["paging_token"])
    replayed = next_payment(received)  # the stream is open: it has delivered
    third = pay(localnet, server, bob, alice.public_key, "3")
    live = next_payment(received)

    assert replayed["transaction_hash"] == second["hash"]
    assert live["transaction_hash"] == third["hash"]
    assert received.empty()


@pytest.mark.asyncio
async def test_async_stream_from_now_delivers_a_payment_made_after_it_opened(
    localnet: LocalNet, async_server: ServerAsync, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def consume() -> None:
        stream = async_server.payments().for_account(alice.public_key).cursor("now").stream()
        async for record in stream:
            await received.put(record)

    before = await asyncio.to_thread(streams_opened, localnet)
    watcher = asyncio.create_task(consume())
    try:
        await asyncio.to_thread(wait_stream_open, localnet, before)
        source = await async_server.load_account(bob.public_key)
        envelope = builder(localnet, source).append_payment_op(
            alice.public_key, Asset.native(), "6"
        )
        submitted = await async_server.submit_transaction(signed(envelope.build(), bob))
        record = await asyncio.wait_for(received.get(), WAIT)
    finally:
        watcher.cancel()

    assert record["transaction_hash"] == submitted["hash"]
    assert record["amount"] == "6.0000000"


def read_sse(
    url: str, *, headers: dict[str, str] | None = None, records: int = 1
) -> list[dict[str, str]]:
    """Read raw server-sent events until `records` events carrying an id have arrived."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    with requests.get(
        url,
        headers={"Accept": "text/event-stream", **(headers or {})},
        stream=True,
        timeout=(5, WAIT),
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for line in response.iter_lines(chunk_size=1, decode_unicode=True):
            if line == "":
                if current:
                    events.append(current)
                    current = {}
                if sum("id" in e and "data" in e for e in events) >= records:
                    break
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            current[field] = f"{current[field]}\n{value}" if field in current else value
    return events


def test_raw_sse_events_carry_the_paging_token_as_id_and_json_data(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    first = pay(localnet, server, bob, alice.public_key, "1")
    second = pay(localnet, server, bob, alice.public_key, "2")
    [seen] = server.payments().for_transaction(first["hash"]).call()["_embedded"]["records"]
    base = f"{localnet.url}/accounts/{alice.public_key}/payments"

    by_cursor = read_sse(f"{base}?cursor={seen['paging_token']}&X-Client-Name=py-stellar-base")
    by_header = read_sse(base, headers={"Last-Event-ID": seen["paging_token"]})

    for events in (by_cursor, by_header):
        for event in events:
            if "data" in event and event.get("event", "message") == "message":
                json.loads(event["data"])  # a JS EventSource client parses every unnamed data
        [record_event] = [e for e in events if "id" in e and "data" in e]
        record = json.loads(record_event["data"])
        assert record["transaction_hash"] == second["hash"]
        assert record_event["id"] == record["paging_token"]
