"""`sozu start` on a fresh machine: it all comes up, the demo key pays, SIGTERM stops it all."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from stellar_sdk import Keypair
from tests.localnet_process import free_port

from sozu.orgs.tests.cli_helpers import SEED

START = (sys.executable, "-m", "sozu.cli", "start")
BANNER_END = "Ctrl-C stops everything."
#: Settings the test session may have in its environment; `sozu start` must use its own.
FOREIGN = ("HORIZON_URL", "NETWORK_PASSPHRASE", "USDC_ISSUER", "SOZU_MASTER_KEY", "DATABASE_URL")


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren…), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    base: str
    horizon: str
    var: Path

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()


@contextmanager
def sozu_start(tmp_path: Path, run: str) -> Iterator[Started]:
    """`sozu start` on free ports with its own VAR_DIR and SQLite file; SIGTERM at the end."""
    web_port, net_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
    env.update(
        SOZU_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'sozu.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    out, err = tmp_path / f"{run}.out", tmp_path / f"{run}.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        process = subprocess.Popen(
            [*START, "--port", str(web_port), "--localnet-port", str(net_port)],
            env=env,
            cwd=tmp_path,
            stdout=o,
            stderr=e,
        )
    started = Started(
        process,
        out,
        err,
        f"http://127.0.0.1:{web_port}",
        f"http://127.0.0.1:{net_port}",
        tmp_path / "var",
    )
    try:
        deadline = time.monotonic() + 120
        while BANNER_END not in out.read_text():
            assert process.poll() is None, f"sozu start exited early:\n{started.output()}"
            assert time.monotonic() < deadline, f"sozu start is not up:\n{started.output()}"
            time.sleep(0.2)
        yield started
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_paid(base: str, key: str, payout: dict[str, object]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while payout["status"] != "paid" and time.monotonic() < deadline:
        time.sleep(0.3)
        payout = requests.get(
            f"{base}/api/v1/payouts/{payout['id']}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        ).json()
    return payout


def test_start_runs_the_platform_pays_with_the_demo_key_and_stops_every_child(
    tmp_path: Path,
) -> None:
    with sozu_start(tmp_path, "first") as started:
        base = started.base
        assert requests.get(f"{base}/api/v1/openapi.json", timeout=10).status_code == 200
        key_file = started.var / "demo-api-key.txt"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        assert started.out.read_text().count(key) == 1  # printed once
        children = descendants(started.process.pid)
        assert len(children) >= 4  # the local network (supervisor and server), worker, web

        # The dashboard: gunicorn (not Django's development server) answers, `/` leads to the
        # sign-in page, static files come through whitenoise, and the demo staff are printed.
        home = requests.get(f"{base}/", timeout=10)
        assert home.status_code == 200 and "/cuenta/login/" in home.url
        assert home.headers["Server"].startswith("gunicorn")
        assert "Content-Security-Policy" in home.headers
        css = requests.get(f"{base}/static/web/sozu.css", timeout=10)
        assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
        out = started.out.read_text()
        staff = json.loads((started.var / "demo-staff.json").read_text())
        for person in staff:
            assert f"{person['email']}  password: {person['password']}" in out
        assert staff[2]["totp_secret"] in out
        assert "Dashboard http://localhost:" in out

        destination = Keypair.random().public_key
        requests.post(
            f"{started.horizon}/localnet/fund",
            json={"address": destination, "xlm": "10", "usdc": "1"},
            timeout=30,
        ).raise_for_status()
        answer = requests.post(
            f"{base}/api/v1/payouts",
            json={"destination": destination, "amount": "25.00"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert answer.status_code in (200, 202), answer.text
        payout = wait_paid(base, key, answer.json())
        assert payout["status"] == "paid"
        tx = requests.get(f"{started.horizon}/transactions/{payout['tx_hash']}", timeout=10)
        assert tx.json()["successful"] is True
        account = requests.get(f"{started.horizon}/accounts/{destination}", timeout=10).json()
        usdc = [b for b in account["balances"] if b.get("asset_code") == "USDC"]
        assert usdc[0]["balance"] == "26.0000000"

        started.process.send_signal(signal.SIGTERM)
        assert started.process.wait(90) == 0
        deadline = time.monotonic() + 10
        while any(alive(p) for p in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in children if alive(p)]
        err = started.err.read_text()
        assert '"message": "worker stopped"' in err  # it stopped on SIGTERM, was not killed
        assert "Stopped." in err
        assert not SEED.search(started.output())

    # A second start finds the demo organization and its key: nothing is made twice.
    with sozu_start(tmp_path, "second") as again:
        out = again.out.read_text()
        assert key not in out
        assert f"Demo API key: in {key_file}" in out
        assert key_file.read_text().strip() == key
        assert (
            requests.get(
                f"{again.base}/api/v1/payouts/{payout['id']}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            ).json()["status"]
            == "paid"
        )
