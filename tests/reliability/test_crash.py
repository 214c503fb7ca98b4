"""A worker SIGKILLed at random moments of a 1,000-line batch still pays each line once."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from stellar_sdk import Keypair

from tests.localnet_process import LocalNet
from tests.reliability.harness import (
    Workers,
    assert_paid_exactly_once,
    process_env,
    scenario,
    shared_database,
    wait_finished,
)

pytestmark = pytest.mark.slow

LINES = 1000
RECIPIENTS = 25
KILLS = 12


def _recipients(net: LocalNet) -> list[str]:
    keys = [Keypair.random().public_key for _ in range(RECIPIENTS)]
    for k in keys:
        net.fund(k, xlm="10", usdc="1")
    return keys


def test_worker_killed_at_random_moments_pays_each_line_exactly_once(
    fresh_localnet: LocalNet, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    net = fresh_localnet
    net.close_seconds = 0.5
    net.start()
    seed = int(os.environ.get("SOZU_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    print(f"crash test seed: {seed}")
    with shared_database(tmp_path) as db_url:
        env = process_env(net, db_url, tmp_path / "var")
        setup = scenario(
            env,
            "setup",
            "--lines",
            str(pytestconfig.getoption("--reliability-lines") or LINES),
            "--channels",
            "4",
            "--recipients",
            ",".join(_recipients(net)),
        )
        if pytestconfig.getoption("--fault-gets"):
            net.set_faults(rate_limit=0.1, unavailable=0.05, gets=True, root=True, seed=7)
        # Several workers share PostgreSQL; SQLite serves one writer at a time.
        names = ["w1", "w2"] if db_url.startswith("postgres") else ["w1"]
        workers = Workers(env, tmp_path)
        try:
            for _ in range(KILLS):
                for name in names:
                    if name not in workers.procs:
                        workers.start(name)
                time.sleep(rng.uniform(0.3, 2.0))
                workers.kill(rng.choice(names))
            for name in names:
                if name not in workers.procs:
                    workers.start(name)
            status = wait_finished(env, setup["batch_id"], workers)
        finally:
            workers.stop_all()
            net.clear_faults()
        assert_paid_exactly_once(net, setup["wallet"], status)
