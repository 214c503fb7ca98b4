"""Keep the server running: restart it in a child process after a crash, stop it on SIGTERM."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from types import FrameType

log = logging.getLogger("sozu.localnet")
CRASH_EXIT_CODE = 75


def supervise(child_argv: list[str]) -> int:
    """Run `python -m sozu.cli localnet --child ARGS` until told to stop."""
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    quick_failures = 0
    while not stopping:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "sozu.cli", "localnet", "--child", *child_argv]
        )
        while True:
            try:
                code = child.wait()
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue
        if stopping:
            return 0
        if code == 0:
            return 0
        if code == CRASH_EXIT_CODE:
            log.warning("localnet crashed on request; restarting")
            quick_failures = 0
        else:
            quick_failures = quick_failures + 1 if time.monotonic() - started < 5 else 1
            log.error("localnet exited with %s; restarting", code)
            if quick_failures >= 5:
                log.error("localnet keeps failing at start; giving up")
                return 1
            time.sleep(0.2 * quick_failures)
    return 0
