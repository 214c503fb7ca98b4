"""The repayment follower SIGKILLed at random moments while 2,000 repayments arrive still
applies each payment exactly once (count, total and every loan's sum match)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sozu.credit.tests.onchain import Payer, Transfer
from tests.localnet_process import LocalNet
from tests.reliability.harness import ROOT, process_env, shared_database

pytestmark = [pytest.mark.slow, pytest.mark.real_clock]

PAYMENTS = 2000
LOANS = 200
PAYERS = 4
KILLS = 10
STALL_SECONDS = 120
#: Half the payments go to loans' muxed addresses, 100 to a transaction (100 loans each);
#: the other half carry a loan's memo, 10 to a transaction (one loan per transaction).
MUXED_PER_TX = 100
MEMO_PER_TX = 10


def _status(env: dict[str, str]) -> dict[str, Any]:
    return _credit(env, "status")


def _credit(env: dict[str, str], *args: str) -> dict[str, Any]:
    import json

    out = subprocess.run(
        [sys.executable, "-m", "tests.reliability.credit_scenario", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"credit scenario {args[0]} failed:\n{out.stderr[-4000:]}")
    return dict(json.loads(out.stdout))


class Followers:
    """`sozu credit follow` processes, SIGKILLed and restarted under the same names."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "sozu.cli", "credit", "follow", "--name", name, "--poll", "0.2"],
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


def _plan(
    loans: list[dict[str, Any]], wallet: str, payments: int = PAYMENTS
) -> list[list[Transfer]]:
    """The transactions to submit: every payment a distinct amount, loans spread evenly."""
    txs: list[list[Transfer]] = []
    n = 0

    def amount() -> Decimal:
        nonlocal n
        n += 1
        return Decimal("1.00") + Decimal(n) / 100  # 1.01 … 21.00: no loan gets paid off

    for start in range(0, payments // 2, MUXED_PER_TX):
        txs.append(
            [
                Transfer(loans[(start + i) % len(loans)]["muxed"], amount())
                for i in range(MUXED_PER_TX)
            ]
        )
    for t in range((payments // 2) // MEMO_PER_TX):
        loan = loans[t % len(loans)]
        txs.append([Transfer(wallet, amount(), loan["memo"]) for _ in range(MEMO_PER_TX)])
    return txs


def test_follower_killed_at_random_moments_applies_each_repayment_once(
    fresh_localnet: LocalNet, tmp_path: Path
) -> None:
    net = fresh_localnet
    net.close_seconds = 0.5
    net.start()
    seed = int(os.environ.get("SOZU_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    print(f"follower crash test seed: {seed}")
    with shared_database(tmp_path) as db_url:
        env = process_env(net, db_url, tmp_path / "var")
        setup = _credit(env, "setup", "--loans", str(LOANS))
        loans, wallet = setup["loans"], setup["wallet"]
        by_id = {loan["muxed"]: loan["id"] for loan in loans}
        by_memo = {loan["memo"]: loan["id"] for loan in loans}
        txs = _plan(loans, wallet)
        expected: dict[int, Decimal] = defaultdict(Decimal)
        for tx in txs:
            for t in tx:
                expected[by_id.get(t.destination) or by_memo[t.memo]] += t.amount
        payers = [Payer.funded(net, usdc="50000") for _ in range(PAYERS)]
        errors: list[BaseException] = []

        def submit(payer: Payer, share: list[list[Transfer]]) -> None:
            try:
                for tx in share:
                    payer.pay(tx)
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)

        senders = [
            threading.Thread(target=submit, args=(p, txs[i::PAYERS]), daemon=True)
            for i, p in enumerate(payers)
        ]
        names = ["f1", "f2"] if db_url.startswith("postgres") else ["f1"]
        followers = Followers(env, tmp_path)
        try:
            for name in names:
                followers.start(name)
            for s in senders:
                s.start()
            kills = 0
            while kills < KILLS or any(s.is_alive() for s in senders):
                time.sleep(rng.uniform(0.3, 2.0))
                victim = rng.choice(names)
                followers.kill(victim)
                kills += 1
                time.sleep(rng.uniform(0, 0.5))
                followers.start(victim)
            for s in senders:
                s.join()
            assert not errors, errors
            # A shared, busy machine can be slow: the test fails when progress stops.
            progress, moved_at = -1, time.monotonic()
            while (st := _credit(env, "status"))["repayments"] < PAYMENTS:
                if st["repayments"] != progress:
                    progress, moved_at = st["repayments"], time.monotonic()
                assert time.monotonic() - moved_at < STALL_SECONDS, (
                    f"stuck at {st['repayments']} applied: {st['reviews']}"
                )
                for name, proc in followers.procs.items():
                    assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
                time.sleep(1)
            time.sleep(2)  # anything applied twice would show up now
            st = _credit(env, "status")
        finally:
            followers.stop_all()
    print(f"follower crash test: {kills} kills")
    assert st["repayments"] == st["operations"] == PAYMENTS
    assert Decimal(st["total"]) == sum(expected.values())
    assert {int(k): Decimal(v) for k, v in st["by_loan"].items()} == dict(expected)
    # Only the network's funding of the wallet (no memo) waits for review.
    assert st["reviews"] == {"no_reference": 1}
