"""Start and stop a real `sozu localnet` process for tests and benchmarks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalNet:
    """A running local network: its Horizon URL, passphrase and USDC issuer."""

    data_dir: Path
    port: int
    close_seconds: float = 0.2
    max_ops_per_ledger: int = 1000
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    passphrase: str = ""
    usdc_issuer: str = ""
    usdc_code: str = "USDC"

    def start(self, timeout: float = 30.0) -> LocalNet:
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(self.data_dir / "localnet.log", "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sozu.cli",
                "localnet",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data",
                str(self.data_dir),
                "--close-seconds",
                str(self.close_seconds),
                "--max-ops-per-ledger",
                str(self.max_ops_per_ledger),
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "localnet exited early:\n" + (self.data_dir / "localnet.log").read_text()
                )
            try:
                if requests.get(self.url + "/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("localnet did not start in time")
            time.sleep(0.1)
        info = self.info()
        self.passphrase = info["network_passphrase"]
        self.usdc_issuer = info["usdc_issuer"]
        self.usdc_code = info.get("usdc_code", "USDC")
        return self

    def info(self) -> dict[str, str]:
        out = subprocess.run(
            [sys.executable, "-m", "sozu.cli", "localnet", "info", "--data", str(self.data_dir)],
            check=True,
            capture_output=True,
        )
        return dict(json.loads(out.stdout))

    def fund(self, address: str, xlm: str = "100", usdc: str = "0") -> None:
        """Create (if needed) and fund an account with XLM and, if usdc > 0, a USDC trustline."""
        r = requests.post(
            self.url + "/localnet/fund",
            json={"address": address, "xlm": xlm, "usdc": usdc},
            timeout=30,
        )
        r.raise_for_status()

    def usdc_balance(self, address: str) -> Decimal:
        """The account's USDC balance as Horizon reports it (0 without a trustline)."""
        data = requests.get(f"{self.url}/accounts/{address}", timeout=10).json()
        for b in data["balances"]:
            if b.get("asset_code") == self.usdc_code and b.get("asset_issuer") == self.usdc_issuer:
                return Decimal(b["balance"])
        return Decimal(0)

    def set_faults(self, **faults: object) -> None:
        requests.post(self.url + "/localnet/faults", json=faults, timeout=5).raise_for_status()

    def faults(self) -> dict[str, Any]:
        """The faults in force and how many requests each one hit."""
        r = requests.get(self.url + "/localnet/faults", timeout=5)
        r.raise_for_status()
        return dict(r.json())

    def clear_faults(self) -> None:
        requests.delete(self.url + "/localnet/faults", json={}, timeout=5).raise_for_status()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
