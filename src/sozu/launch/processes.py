"""Child processes of `sozu start`: started in order, stopped in reverse order, never orphaned."""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import requests

PR_SET_PDEATHSIG = 1
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class LaunchError(Exception):
    """Something `sozu start` needs did not come up; the message says what and where to look."""


def sozu_argv(*args: str) -> list[str]:
    """The `sozu` command with this interpreter (works without the venv's bin on PATH)."""
    return [sys.executable, "-m", "sozu.cli", *args]


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when `sozu start` dies, even if it is killed outright."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    stop_timeout: float
    log_path: Path | None = None

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Children:
    """The processes `sozu start` runs. Each gets its own session, so a Ctrl-C reaches only
    `sozu start`, which then stops them newest first: the web server, then the worker (it
    lets its transactions settle), then the local network they both talk to.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[Child] = []

    def spawn(
        self, name: str, argv: list[str], *, log_path: Path | None = None, stop_timeout: float = 15
    ) -> Child:
        out: IO[bytes] | None = None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(log_path, "ab")  # the child gets its own copy
        try:
            process = subprocess.Popen(
                argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            if out is not None:
                out.close()
        child = Child(name, process, stop_timeout, log_path)
        self.children.append(child)
        return child

    def first_exited(self) -> Child | None:
        return next((c for c in self.children if not c.running()), None)

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.running():
                child.process.send_signal(signal.SIGTERM)
                try:
                    child.process.wait(child.stop_timeout)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
        self.children.clear()


def answers(url: str, timeout: float = 1.0) -> requests.Response | None:
    """The response at `url`, whatever its status; None when nothing answers."""
    try:
        return requests.get(url, timeout=timeout)
    except requests.RequestException:
        return None


def wait_until_answering(
    url: str,
    *,
    timeout: float,
    child: Child | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> requests.Response:
    """Poll `url` until anything answers; fail early if `child` exits or after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        response = answers(url)
        if response is not None:
            return response
        if child is not None and not child.running():
            tail = child.log_tail()
            where = f" (log: {child.log_path})" if child.log_path else ""
            raise LaunchError(
                f"{child.name} exited with status {child.process.returncode}{where}"
                + (f"\n{tail}" if tail else "")
            )
        if stopping():
            raise KeyboardInterrupt
        if time.monotonic() > deadline:
            raise LaunchError(f"nothing answered at {url} after {timeout:.0f} s")
        time.sleep(0.2)


@dataclass(frozen=True)
class NetworkPlan:
    """Which Horizon the platform uses, and whether `sozu start` runs it."""

    horizon_url: str
    run_localnet: bool
    localnet_port: int


def network_plan(
    *, env_horizon_url: str | None, localnet_port: int, no_localnet: bool
) -> NetworkPlan:
    """The local network on `localnet_port`, unless HORIZON_URL points elsewhere."""
    local = f"http://127.0.0.1:{localnet_port}"
    if no_localnet:
        return NetworkPlan((env_horizon_url or local).rstrip("/"), False, localnet_port)
    if env_horizon_url:
        parts = urlsplit(env_horizon_url)
        if parts.hostname not in LOOPBACK_HOSTS or (parts.port or 80) != localnet_port:
            return NetworkPlan(env_horizon_url.rstrip("/"), False, localnet_port)
    return NetworkPlan(local, True, localnet_port)
