"""A shared database, worker processes and on-chain verification for reliability tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from stellar_sdk import Server

from tests.localnet_process import LocalNet

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def shared_database(tmp_path: Path) -> Iterator[str]:
    """A database the test and its worker processes share: PostgreSQL when the suite runs on
    it (several workers), else a SQLite file (one worker at a time)."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        import psycopg

        name = f"sozu_rel_{uuid.uuid4().hex[:10]}"
        admin = base.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield base.rsplit("/", 1)[0] + "/" + name
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"


def process_env(net: LocalNet, db_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=db_url,
        HORIZON_URL=net.url,
        NETWORK_PASSPHRASE=net.passphrase,
        USDC_ISSUER=net.usdc_issuer,
        SOZU_MASTER_KEY="reliability-test-key",
        SOZU_VAR_DIR=str(var_dir),
        SOZU_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="sozu.settings",
    )
    return env


def scenario(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.reliability.scenario", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"scenario {args[0]} failed:\n{out.stderr[-4000:]}")
    return dict(json.loads(out.stdout))


class Workers:
    """`sozu worker` processes that can be SIGKILLed and restarted under the same names."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "sozu.cli", "worker", "--name", name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def assert_alive(self) -> None:
        """A worker that exits by itself (not killed by the test) fails the test at once."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                log = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"worker {name} exited with {proc.returncode}:\n{log}")

    def stop_all(self) -> None:
        for name, proc in list(self.procs.items()):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self.procs.pop(name)


def wait_finished(
    env: dict[str, str], batch_id: int, workers: Workers | None = None, timeout: float = 600
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        st = scenario(env, "status", str(batch_id))
        if st["batch_status"] in ("completed", "partially_paid", "failed", "cancelled"):
            return st
        if workers is not None:
            workers.assert_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"batch not finished in time: {st['by_status']}")
        time.sleep(1)


def onchain_payments(net: LocalNet, wallet: str) -> list[tuple[str, Decimal, str]]:
    """Every USDC payment the wallet made: (destination, amount, tx hash)."""
    server = Server(net.url)
    page = server.payments().for_account(wallet).limit(200).order(desc=False).call()
    found = []
    while True:
        records = page["_embedded"]["records"]
        if not records:
            break
        for r in records:
            if (
                r["type"] == "payment"
                and r["from"] == wallet
                and r.get("asset_code") == net.usdc_code
            ):
                found.append((r["to"], Decimal(r["amount"]), r["transaction_hash"]))
        page = (
            server.payments()
            .for_account(wallet)
            .limit(200)
            .cursor(records[-1]["paging_token"])
            .order(desc=False)
            .call()
        )
    return found


def assert_paid_exactly_once(net: LocalNet, wallet: str, status: dict[str, Any]) -> None:
    lines = status["lines"]
    assert status["by_status"] == {"paid": len(lines)}, status["by_status"]
    assert status["paid_attempts"] == len(lines)
    assert status["live_attempts"] == 0
    onchain = onchain_payments(net, wallet)
    expected = Counter((ln["destination"], Decimal(ln["amount"])) for ln in lines)
    actual = Counter((dest, amount) for dest, amount, _ in onchain)
    duplicates = {k: v for k, v in actual.items() if v > 1}
    assert not duplicates, f"paid more than once: {list(duplicates)[:5]}"
    assert actual == expected
    by_payment = {(dest, amount): tx for dest, amount, tx in onchain}
    for ln in lines:
        # The network knows a fee-bumped payment by the bump's hash: the record keeps both.
        assert by_payment[(ln["destination"], Decimal(ln["amount"]))] == ln["outer_tx_hash"]
    assert sum(a for _, a, _ in onchain) == sum(Decimal(ln["amount"]) for ln in lines)
