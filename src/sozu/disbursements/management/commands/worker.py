"""`sozu worker`: the payment engine as a long-running process (JSON log lines on stderr)."""

from __future__ import annotations

import logging
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils import timezone
from prometheus_client import start_http_server

from sozu.disbursements.services.approvals import batches_execute_due
from sozu.disbursements.worker import Worker
from sozu.launch.checks import master_key_verify
from sozu.orgs.management.base import (
    NETWORK_ERRORS,
    SozuCommand,
    process_name,
    stop_on_signals,
)
from sozu.wallet.services.housekeeping import wallet_prune

log = logging.getLogger("sozu.worker")
#: After Horizon could not be reached, wait this long before starting over.
RETRY_SECONDS = 5.0
HEARTBEAT_SECONDS = 60.0
#: How often approved batches whose scheduled time has come are started.
SCHEDULE_SECONDS = 10.0
#: How often the wallet's spent challenges and expired invitations are cleaned (`wallet prune`).
PRUNE_SECONDS = 600.0


class Command(SozuCommand):
    help = (
        "Run the payment engine until SIGTERM or Ctrl-C: pack queued payouts into signed "
        "transactions, submit them, settle them. Several workers may run at once (PostgreSQL); "
        "a stopped worker's transactions are picked up by the others."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--name", default="", help="unique per running worker (default: worker-HOST-PID)"
        )
        parser.add_argument("--threads", type=int, default=16, help="default 16")
        parser.add_argument(
            "--until-idle", action="store_true", help="exit when there is nothing left to do"
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=0,
            help="serve this worker's Prometheus metrics (Horizon latency, errors) on this port",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] or process_name("worker")
        master_key_verify()  # a wrong SOZU_MASTER_KEY stops here, before any payout
        stopping = threading.Event()
        current: list[Worker] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()
            for w in current:
                w.stop_event.set()

        beat = [time.monotonic()]
        scheduled = [0.0]
        pruned = [0.0]

        def on_tick() -> None:
            if time.monotonic() - beat[0] >= HEARTBEAT_SECONDS:
                beat[0] = time.monotonic()
                in_flight = sum(len(w.inflight) for w in current)
                log.info("worker alive", extra={"worker": name, "in_flight": in_flight})
            if time.monotonic() - scheduled[0] >= SCHEDULE_SECONDS:
                scheduled[0] = time.monotonic()
                try:
                    batches_execute_due(now=timezone.now(), actor=f"worker:{name}")
                except Exception:  # the scheduler must never stop the payments in flight
                    log.exception("starting scheduled batches failed", extra={"worker": name})
            if time.monotonic() - pruned[0] >= PRUNE_SECONDS:
                pruned[0] = time.monotonic()
                try:
                    result = wallet_prune(actor=f"worker:{name}")
                    log.info("wallet pruned", extra={"worker": name, **vars(result)})
                except Exception:  # housekeeping must never stop the payments in flight
                    log.exception("wallet prune failed", extra={"worker": name})

        if options["metrics_port"]:
            # Horizon calls happen in the worker: its own metrics are only visible here.
            start_http_server(options["metrics_port"], addr="127.0.0.1")
        log.info(
            "worker started",
            extra={"worker": name, "threads": options["threads"], "horizon": settings.HORIZON_URL},
        )
        with stop_on_signals(on_signal):
            while not stopping.is_set():
                worker = Worker(name, threads=options["threads"])
                current[:] = [worker]
                try:
                    worker.run(until_idle=options["until_idle"], on_tick=on_tick)
                    break
                except NETWORK_ERRORS as exc:
                    # Envelopes in flight are in the database; the next worker rechecks them.
                    log.warning(
                        "network unavailable; starting over",
                        extra={"worker": name, "error": type(exc).__name__},
                    )
                    stopping.wait(RETRY_SECONDS)
        log.info("worker stopped", extra={"worker": name})
