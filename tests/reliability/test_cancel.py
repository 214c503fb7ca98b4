"""A batch cancelled while workers pay it under network faults: no cancelled line is ever paid."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from stellar_sdk import Keypair

from tests.localnet_process import LocalNet
from tests.reliability.harness import (
    Workers,
    onchain_payments,
    process_env,
    scenario,
    shared_database,
    wait_finished,
)

pytestmark = pytest.mark.slow


def test_a_batch_cancelled_mid_run_under_faults_stays_cancelled(
    fresh_localnet: LocalNet, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """One channel: envelopes of 100 lines go one after the other, so a cancel after the first
    is paid finds lines in flight and lines still queued."""
    lines = pytestconfig.getoption("--reliability-lines") or 800
    fault_gets = bool(pytestconfig.getoption("--fault-gets"))
    net = fresh_localnet
    # Slow enough that the cancel lands while lines remain, even on a loaded 2-core machine
    # (each `scenario` call starts a Django process).
    net.close_seconds = 4.0
    net.start()
    recipients = [Keypair.random().public_key for _ in range(10)]
    for r in recipients:
        net.fund(r, xlm="10", usdc="1")
    with shared_database(tmp_path) as db_url:
        env = process_env(net, db_url, tmp_path / "var")
        setup = scenario(
            env,
            "setup",
            "--lines",
            str(lines),
            "--channels",
            "1",
            "--recipients",
            ",".join(recipients),
        )
        batch_id = str(setup["batch_id"])
        net.set_faults(
            lost_response_after_inclusion=0.25,
            timeout_before_inclusion=0.15,
            rate_limit=0.1,
            unavailable=0.05,
            gets=fault_gets,
            root=fault_gets,
            seed=5,
        )
        names = ["w1", "w2"] if db_url.startswith("postgres") else ["w1"]
        workers = Workers(env, tmp_path)
        try:
            for name in names:
                workers.start(name)
            deadline = time.monotonic() + 120
            while not scenario(env, "status", batch_id)["by_status"].get("paid"):
                workers.assert_alive()
                assert time.monotonic() < deadline, "nothing was paid"
                time.sleep(0.5)
            cancelled = scenario(env, "cancel", batch_id)
            assert cancelled.get("status") in ("paused", "cancelled"), cancelled
            # While its envelopes settle, nothing puts it back to work.
            assert scenario(env, "resume", batch_id)["refused"] in (
                "batch_cancelling",
                "invalid_transition",
            )
            status = wait_finished(env, int(batch_id), workers, timeout=300)
            assert scenario(env, "resume", batch_id) == {"refused": "invalid_transition"}
            assert scenario(env, "retry", batch_id) == {"refused": "invalid_transition"}
        finally:
            workers.stop_all()
            net.clear_faults()
    assert status["batch_status"] == "cancelled"
    assert set(status["by_status"]) <= {"paid", "cancelled"}, status["by_status"]
    assert status["by_status"].get("cancelled"), "the cancel came too late to test anything"
    assert status["live_attempts"] == 0
    paid = Counter(
        (ln["destination"], Decimal(ln["amount"]))
        for ln in status["lines"]
        if ln["status"] == "paid"
    )
    onchain = Counter((dest, amount) for dest, amount, _ in onchain_payments(net, setup["wallet"]))
    assert onchain == paid  # each paid line once, and not one cancelled line
