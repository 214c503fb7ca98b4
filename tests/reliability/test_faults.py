"""With lost responses, 504s, 429s and 503s from the network, each line is paid once."""

from __future__ import annotations

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


def test_batch_under_fault_injection_pays_each_line_exactly_once(
    fresh_localnet: LocalNet, tmp_path: Path
) -> None:
    net = fresh_localnet
    net.close_seconds = 0.5
    net.start()
    recipients = [Keypair.random().public_key for _ in range(20)]
    for r in recipients:
        net.fund(r, xlm="10", usdc="1")
    with shared_database(tmp_path) as db_url:
        env = process_env(net, db_url, tmp_path / "var")
        setup = scenario(
            env, "setup", "--lines", "1000", "--channels", "4", "--recipients", ",".join(recipients)
        )
        net.set_faults(
            lost_response_after_inclusion=0.25,
            timeout_before_inclusion=0.15,
            rate_limit=0.1,
            unavailable=0.05,
            seed=11,
        )
        workers = Workers(env, tmp_path)
        try:
            workers.start("w1")
            time.sleep(1)
            status = wait_finished(env, setup["batch_id"], workers)
        finally:
            workers.stop_all()
            net.clear_faults()
        # The faults really hit: some envelopes had outcomes only the network could settle.
        assert status["unknown_outcomes"] > 0
        assert_paid_exactly_once(net, setup["wallet"], status)
