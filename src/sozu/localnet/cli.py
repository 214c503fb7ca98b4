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


FAULT_HELP = {
    "lost_response_after_inclusion": "the transaction is included but the answer is lost",
    "timeout_before_inclusion": "the submission times out and the transaction is dropped",
    "rate_limit": "answer 429 Too Many Requests",
    "unavailable": "answer 503 Service Unavailable",
}
DEFAULT_DATA = "var/localnet"
DEFAULT_HORIZON = "http://127.0.0.1:8000"


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sozu localnet", description="Run the local network.")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; another one warns: anyone may reach it)",
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--data", default=DEFAULT_DATA, help="directory holding the ledger")
    p.add_argument(
        "--passphrase",
        default=DEFAULT_PASSPHRASE,
        help=f"network passphrase transactions are signed for (default “{DEFAULT_PASSPHRASE}”)",
    )
    p.add_argument(
        "--close-seconds",
        type=float,
        default=1.0,
        help="seconds between ledgers (default 1; tests use 0.2)",
    )
    p.add_argument(
        "--max-ops-per-ledger",
        type=int,
        default=1000,
        help="operations a ledger holds; more wait for the next one (default 1000)",
    )
    for name in FAULT_FLAGS:
        p.add_argument(
            f"--fault-{name.replace('_', '-')}",
            type=float,
            default=0.0,
            metavar="P",
            help=f"probability 0..1 per submission: {FAULT_HELP[name]} (default 0)",
        )
    p.add_argument(
        "--fault-latency-ms",
        type=int,
        default=0,
        help="delay every submission (and GET with --fault-gets) by this many ms (default 0)",
    )
    p.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        help="random seed of the faults, to replay the same run (default: random)",
    )
    p.add_argument(
        "--fault-gets",
        action="store_true",
        help="GET requests also get the rate-limit, unavailable and latency faults",
    )
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p


def _info_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sozu localnet info",
        description="Print the network's Horizon URL, passphrase and USDC issuer (JSON).",
    )
    p.add_argument(
        "--data",
        default=DEFAULT_DATA,
        help=f"the network's --data directory (default {DEFAULT_DATA})",
    )
    return p


def _fund_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sozu localnet fund",
        description="Create (if needed) and fund an account on the local network.",
    )
    p.add_argument("address", help="the account to fund (G…)")
    p.add_argument(
        "--xlm", default="100", help="XLM to send; a new account needs at least 1 (default 100)"
    )
    p.add_argument(
        "--usdc",
        default="0",
        help="USDC to send; above 0 also adds the USDC trustline (default 0)",
    )
    p.add_argument(
        "--horizon",
        default=DEFAULT_HORIZON,
        help=f"the local network's URL (default {DEFAULT_HORIZON})",
    )
    return p


#: Every parser of `sozu localnet`, by subcommand ("" is the server itself).
PARSERS = {"": _serve_parser, "info": _info_parser, "fund": _fund_parser}


def _info(argv: list[str]) -> int:
    args = _info_parser().parse_args(argv)
    path = Path(args.data) / "info.json"
    if not path.exists():
        print(f"no local network has run with --data {args.data}", file=sys.stderr)
        return 1
    print(path.read_text().strip())
    return 0


def _fund(argv: list[str]) -> int:
    import requests

    args = _fund_parser().parse_args(argv)
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


def exposure_warning(host: str) -> str | None:
    """What to tell whoever binds the local network where other machines can reach it."""
    import ipaddress

    name = host.strip("[]")
    if name in ("localhost", "localhost.localdomain"):
        return None
    try:
        if ipaddress.ip_address(name).is_loopback:
            return None
    except ValueError:
        pass  # a host name: it may resolve to anything
    return (
        f"WARNING: the local network listens on {host}, reachable from other machines. Its "
        "friendbot gives away XLM and USDC to anyone, and anyone can read and submit to it "
        "(its /localnet admin endpoints still answer only this machine). Use --host 127.0.0.1 "
        "unless that is what you want."
    )


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

    warning = exposure_warning(args.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return supervise([a for a in argv if a != "--child"])
