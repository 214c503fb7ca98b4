"""Benchmark: how many on-chain repayments per second the follower applies.

    .venv/bin/python benchmarks/credit_follower.py [--payments 2000] [--loans 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python benchmarks/credit_follower.py

A local network of its own and a database of its own (SQLite, or a new PostgreSQL database
when DATABASE_URL names PostgreSQL); an organization with `loans` active loans; `payments`
USDC payments put on chain first (half to the loans' muxed addresses, 100 per transaction;
half with a loan's memo, 10 per transaction). Then one `sozu credit follow --until-idle`
applies them all; its wall time less that of a second run with nothing left to do (process
start, Django setup) is the time spent applying. `follower_throughput()` is what others call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def _follow(env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "sozu.cli", "credit", "follow", "--until-idle", "--poll", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    return time.perf_counter() - started, out.stdout.strip()


def follower_throughput(*, payments: int = 2000, loans: int = 200) -> dict[str, Any]:
    """Repayments applied per second by one follower (figures as a dict)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sozu.settings")
    import django

    django.setup()
    from tests.localnet_process import LocalNet, free_port
    from tests.reliability.harness import process_env, shared_database
    from tests.reliability.test_credit_follower_crash import _credit, _plan

    from sozu.credit.tests.onchain import Payer

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "net").mkdir()
        net = LocalNet(data_dir=tmp_path / "net", port=free_port(), close_seconds=0.5)
        net.start()
        try:
            with shared_database(tmp_path) as db_url:
                env = process_env(net, db_url, tmp_path / "var")
                setup = _credit(env, "setup", "--loans", str(loans))
                txs = _plan(setup["loans"], setup["wallet"], payments)
                payers = [Payer.funded(net, usdc="100000") for _ in range(4)]
                for i, tx in enumerate(txs):
                    payers[i % len(payers)].pay(tx)
                busy, said = _follow(env)
                idle, _ = _follow(env)
                status = _credit(env, "status")
        finally:
            net.stop()
    applied = int(status["repayments"])
    seconds = max(busy - idle, 1e-9)
    return {
        "database": "postgresql" if db_url.startswith("postgres") else "sqlite",
        "payments": payments,
        "applied": applied,
        "apply_seconds": round(seconds, 2),
        "per_second": round(applied / seconds, 1),
        "startup_seconds": round(idle, 2),
        "follower_said": said,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--loans", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(follower_throughput(payments=args.payments, loans=args.loans), indent=2))


if __name__ == "__main__":
    main()
