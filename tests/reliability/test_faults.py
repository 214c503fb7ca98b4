"""With lost responses, 504s, 429s and 503s from the network, each line is paid once."""

from __future__ import annotations

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


def test_batch_under_fault_injection_pays_each_line_exactly_once(
    fresh_localnet: LocalNet, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """With --fault-gets, reads fail too (latest ledger, destination checks, lookups, fee
    stats): the worker must keep going and never exit by itself."""
    lines = pytestconfig.getoption("--reliability-lines") or 1000
    fault_gets = bool(pytestconfig.getoption("--fault-gets"))
    net = fresh_localnet
    net.close_seconds = 0.5
    net.start()
    recipients = [Keypair.random().public_key for _ in range(20)]
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
            "4",
            "--recipients",
            ",".join(recipients),
        )
        net.set_faults(
            lost_response_after_inclusion=0.25,
            timeout_before_inclusion=0.15,
            rate_limit=0.1,
            unavailable=0.05,
            gets=fault_gets,
            root=fault_gets,
            seed=11,
        )
        workers = Workers(env, tmp_path)
        try:
            workers.start("w1")
            status = wait_finished(env, setup["batch_id"], workers)
            hit = net.faults()
        finally:
            workers.stop_all()
            net.clear_faults()
        # The faults really hit: some envelopes had outcomes only the network could settle
        # (a smaller batch has too few envelopes to be sure of it), and with --fault-gets
        # reads failed too while the worker kept going (wait_finished fails if it exited).
        if lines >= 1000:
            assert status["unknown_outcomes"] > 0
        assert sum(hit["hits"].values()) > 0
        if fault_gets:
            assert hit["get_hits"] > 0
        assert_paid_exactly_once(net, setup["wallet"], status)
