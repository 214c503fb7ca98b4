"""Benchmark: how many payments per second the local network applies (1-op and 100-op txs).

    .venv/bin/python benchmarks/localnet.py [--seconds 15] [--sources-1op 4000]
        [--sources-100op 250] [--close-seconds 1]

Starts its own `sozu localnet` (ledgers limited to 100,000 ops so capacity is the CPU, not the
configured cap), funds source accounts with USDC, pre-signs every envelope, then submits them
with hand-written keep-alive HTTP/1.1 (each source chains its own transactions, one at a time,
as core allows one queued transaction per account) and reads the applied payments back from
the ledger records.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from stellar_sdk import Account, Asset, Keypair, TransactionBuilder  # noqa: E402
from tests.localnet_process import LocalNet, free_port  # noqa: E402


async def _fund_all(net: LocalNet, keys: list[Keypair], usdc: str) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:

        async def one(kp: Keypair) -> None:
            body = {"address": kp.public_key, "xlm": "100", "usdc": usdc}
            async with http.post(net.url + "/localnet/fund", json=body) as r:
                r.raise_for_status()

        await asyncio.gather(*(one(k) for k in keys))


def _presign(
    net: LocalNet, sources: list[Keypair], dests: list[str], ops: int, txs_each: int
) -> list[list[str]]:
    usdc = Asset("USDC", net.usdc_issuer)
    chains = []
    for i, kp in enumerate(sources):
        seq = int(
            requests.get(f"{net.url}/accounts/{kp.public_key}", timeout=10).json()["sequence"]
        )
        account = Account(kp.public_key, seq)
        chain = []
        for _ in range(txs_each):
            b = TransactionBuilder(account, net.passphrase, base_fee=100).add_time_bounds(0, 0)
            for j in range(ops):
                b.append_payment_op(dests[(i + j) % len(dests)], usdc, "0.0000001")
            te = b.build()
            te.sign(kp)
            chain.append(te.to_xdr())
        chains.append(chain)
    return chains


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, xdr: str
) -> tuple[int, bytes]:
    """One keep-alive HTTP/1.1 POST /transactions, by hand: a client library's per-request
    CPU would be measured instead of the network's on a 2-core machine."""
    body = b"tx=" + quote(xdr, safe="").encode()
    writer.write(
        b"POST /transactions HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def _submit(net: LocalNet, chains: list[list[str]], seconds: float) -> tuple[int, float]:
    """Submit every chain (sequentially within a chain) until the time is up."""
    deadline = time.monotonic() + seconds
    done = 0
    parsed = urlsplit(net.url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80

    async def run(chain: list[str]) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for xdr in chain:
                if time.monotonic() > deadline:
                    return
                status, body = await asyncio.wait_for(_post(reader, writer, host, xdr), 60)
                if status != 200:
                    raise RuntimeError(f"{status}: {body[:2000]!r}")
                done += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(run(c) for c in chains))
    return done, time.monotonic() - started


def _ledger_rate(net: LocalNet, first: int) -> tuple[int, int, float]:
    """(ledgers, payments, payments per second) of the ledgers closed after `first`."""
    url = f"{net.url}/ledgers?order=asc&limit=200&cursor={first << 32}"
    records = requests.get(url, timeout=30).json()["_embedded"]["records"]
    busy = [r for r in records if r["operation_count"] > 0]
    if len(busy) < 3:
        return len(busy), sum(r["operation_count"] for r in busy), 0.0
    # Drop the ramp-up and tail ledgers; rate = payments between first and last closes.
    from datetime import datetime

    t = [datetime.fromisoformat(r["closed_at"].replace("Z", "+00:00")) for r in busy]
    payments = sum(r["operation_count"] for r in busy[1:])
    span = (t[-1] - t[0]).total_seconds()
    return len(busy), payments, payments / span if span > 0 else 0.0


def scenario(net: LocalNet, ops: int, n_sources: int, seconds: float, close: float) -> dict:
    sources = [Keypair.random() for _ in range(n_sources)]
    dests = [Keypair.random() for _ in range(20)]
    asyncio.run(_fund_all(net, sources, "1000"))
    asyncio.run(_fund_all(net, dests, "1"))
    # Enough pre-signed transactions to keep every source busy for the whole run.
    txs_each = int(seconds / close) + 3
    t0 = time.monotonic()
    chains = _presign(net, sources, [d.public_key for d in dests], ops, txs_each)
    presign = time.monotonic() - t0
    first = int(requests.get(net.url + "/", timeout=10).json()["history_latest_ledger"])
    txs, elapsed = asyncio.run(_submit(net, chains, seconds))
    ledgers, payments, rate = _ledger_rate(net, first)
    return {
        "ops_per_tx": ops,
        "sources": n_sources,
        "transactions": txs,
        "payments_client": txs * ops,
        "client_rate": txs * ops / elapsed,
        "ledgers": ledgers,
        "ledger_rate": rate,
        "presign_s": presign,
        "ledger_payments": payments,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--close-seconds", type=float, default=1.0)
    p.add_argument("--sources-1op", type=int, default=4000)
    p.add_argument("--sources-100op", type=int, default=250)
    p.add_argument("--show-log", action="store_true", help="print the end of the server log")
    args = p.parse_args()
    results = []
    for ops, n in ((1, args.sources_1op), (100, args.sources_100op)):
        with tempfile.TemporaryDirectory() as tmp:
            net = LocalNet(
                data_dir=Path(tmp),
                port=free_port(),
                close_seconds=args.close_seconds,
                max_ops_per_ledger=100_000,
            ).start()
            try:
                results.append(scenario(net, ops, n, args.seconds, args.close_seconds))
            finally:
                net.stop()
                if args.show_log:
                    print((Path(tmp) / "localnet.log").read_text()[-6000:])
    print(
        f"{'ops/tx':>6} {'sources':>7} {'txs':>7} {'payments':>9} {'ledgers':>7} "
        f"{'applied/s (ledgers)':>20} {'answered/s (client)':>20}"
    )
    for r in results:
        print(
            f"{r['ops_per_tx']:>6} {r['sources']:>7} {r['transactions']:>7} "
            f"{r['ledger_payments']:>9} {r['ledgers']:>7} {r['ledger_rate']:>20,.0f} "
            f"{r['client_rate']:>20,.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
