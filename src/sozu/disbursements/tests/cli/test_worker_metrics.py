"""A running worker serves its own Prometheus metrics (its Horizon calls happen there)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests
from tests.localnet_process import LocalNet, free_port
from tests.reliability.harness import ROOT, process_env


def test_worker_serves_horizon_metrics_on_its_port(localnet: LocalNet, tmp_path: Path) -> None:
    env = process_env(localnet, f"sqlite:///{tmp_path / 'w.sqlite3'}", tmp_path / "var")
    subprocess.run(
        [sys.executable, "-m", "sozu.cli", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sozu.cli", "worker", "--name", "m1", "--metrics-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        body = ""
        while time.monotonic() < deadline:
            try:
                body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                if "# HELP sozu_horizon_request_seconds" in body:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        assert "# HELP sozu_horizon_request_seconds" in body
        assert "# HELP sozu_horizon_errors_total" in body
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
