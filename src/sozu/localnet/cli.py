"""`sozu localnet`: run the local network (supervised), print its info, fund accounts."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

DEFAULT_PASSPHRASE = "Sozu Local Network ; 2026"  # noqa: S105 - a network name, not a secret
FAULT_FLAGS = (
    "lost_response_after_inclusion",
    "timeout_before_inclusion",
    "rate_limit",
    "unavailable",
)


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sozu localnet", description="Run the local network.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="var/localnet", help="directory holding the ledger")
    p.add_argument("--passphrase", default=DEFAULT_PASSPHRASE)
    p.add_argument("--close-seconds", type=float, default=1.0)
    p.add_argument("--max-ops-per-ledger", type=int, default=1000)
    for name in FAULT_FLAGS:
        p.add_argument(f"--fault-{name.replace('_', '-')}", type=float, default=0.0)
    p.add_argument("--fault-latency-ms", type=int, default=0)
    p.add_argument("--fault-seed", type=int, default=None)
    p.add_argument("--fault-gets", action="store_true", help="also fault GET requests")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p


def _info(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sozu localnet info")
    p.add_argument("--data", default="var/localnet")
    args = p.parse_args(argv)
    path = Path(args.data) / "info.json"
    if not path.exists():
        print(f"no local network has run with --data {args.data}", file=sys.stderr)
        return 1
    print(path.read_text().strip())
    return 0


def _fund(argv: list[str]) -> int:
    import requests

    p = argparse.ArgumentParser(prog="sozu localnet fund")
    p.add_argument("address")
    p.add_argument("--xlm", default="100")
    p.add_argument("--usdc", default="0")
    p.add_argument("--horizon", default="http://127.0.0.1:8000")
    args = p.parse_args(argv)
    r = requests.post(
        args.horizon.rstrip("/") + "/localnet/fund",
        json={"address": args.address, "xlm": args.xlm, "usdc": args.usdc},
        timeout=60,
    )
    body = r.json()
    if r.ok:
        body = {
            "address": body["address"],
            "transactions": [t["hash"] for t in body["transactions"]],
        }
    print(json.dumps(body, indent=2))
    return 0 if r.ok else 1


def _run_server(args: argparse.Namespace) -> int:
    from aiohttp import web

    from sozu.localnet.faults import Faults
    from sozu.localnet.network import Config
    from sozu.localnet.server import build_app
    from sozu.localnet.web_common import NET

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = Config(
        data_dir=Path(args.data),
        passphrase=args.passphrase,
        close_seconds=args.close_seconds,
        max_ops_per_ledger=args.max_ops_per_ledger,
        host=args.host,
        port=args.port,
    )
    faults = Faults.from_json(
        {
            **{n: getattr(args, f"fault_{n}") for n in FAULT_FLAGS},
            "latency_ms": args.fault_latency_ms,
            "seed": args.fault_seed,
            "gets": args.fault_gets,
        }
    )
    app = build_app(config, faults)
    # Closing a ledger allocates many short-lived XDR objects; frequent full collections of
    # the (large, long-lived) ledger state would dominate. Freeze what is loaded, collect less.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    info = app[NET].info(f"http://{host}:{args.port}")
    tmp = config.data_dir / "info.json.tmp"
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(tmp, config.data_dir / "info.json")
    app.cleanup_ctx.append(_exit_with_supervisor)
    # Open SSE streams never finish by themselves: don't let them hold up a shutdown.
    web.run_app(
        app, host=args.host, port=args.port, print=None, access_log=None, shutdown_timeout=1.0
    )
    return 0


async def _exit_with_supervisor(app: object) -> AsyncIterator[None]:
    """If the supervisor is killed outright, don't outlive it holding the port."""
    parent = os.getppid()

    async def watch() -> None:
        while True:
            await asyncio.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    task = asyncio.create_task(watch())
    yield
    task.cancel()


def main(argv: list[str]) -> int:
    if argv and argv[0] == "info":
        return _info(argv[1:])
    if argv and argv[0] == "fund":
        return _fund(argv[1:])
    if argv and argv[0] == "serve":
        argv = argv[1:]
    args = _serve_parser().parse_args(argv)
    if args.child:
        return _run_server(args)
    from sozu.localnet.supervisor import supervise

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return supervise([a for a in argv if a != "--child"])
