"""Running webhook delivery from the disbursement worker without slowing or holding it up."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field

from django.db import connection

from sozu.webhooks.services import webhook_deliver_due

log = logging.getLogger(__name__)

#: A new delivery run starts at most this often (per worker).
EVERY_SECONDS = 1.0
#: How long `webhooks_stop` waits for a run to notice the stop (it checks every 0.1 s).
STOP_WAIT_SECONDS = 5.0
#: The clock of the once-a-second rule (tests replace it).
monotonic = time.monotonic


@dataclass
class _Run:
    started_at: float
    thread: threading.Thread | None
    stop: threading.Event = field(default_factory=threading.Event)


_lock = threading.Lock()
_runs: weakref.WeakKeyDictionary[object, _Run] = weakref.WeakKeyDictionary()


def _deliver(stop: threading.Event) -> None:
    try:
        webhook_deliver_due(stop=stop)
    except Exception:
        log.exception("webhook delivery run failed")
    finally:
        connection.close()  # this thread ends; never leave its connection open


def webhooks_deliver_soon(owner: object) -> None:
    """Start a delivery run for `owner` unless one is running or started less than 1 s ago.

    Called on every worker tick (`owner` is the worker's pool), it returns at once: a slow
    receiver delays other webhook events, never a payment. The run has its own daemon thread,
    not one of the worker's pool, so that stopping the worker never waits for a receiver:
    `webhooks_stop` ends it. Several workers may run at once: rows are claimed with
    `skip_locked`, so each delivery attempt is made by one of them.
    """
    now = monotonic()
    with _lock:
        last = _runs.get(owner)
        if last is not None:
            if last.stop.is_set():
                return  # the worker is stopping
            if last.thread is not None and last.thread.is_alive():
                return
            if now - last.started_at < EVERY_SECONDS:
                return
        run = _Run(started_at=now, thread=None)
        run.thread = threading.Thread(
            target=_deliver, args=(run.stop,), name="sozu-webhooks", daemon=True
        )
        _runs[owner] = run
        run.thread.start()


def webhooks_running(owner: object) -> bool:
    """Whether a delivery run started for `owner` is still going."""
    with _lock:
        run = _runs.get(owner)
    return run is not None and run.thread is not None and run.thread.is_alive()


def webhooks_stop(owner: object) -> None:
    """Stop `owner`'s delivery run and start no other: called when the worker shuts down.

    The run claims nothing more and releases the deliveries still being sent (another worker
    sends them again: delivery is at least once); their sending threads are daemons that touch
    no database, so nothing waits for a receiver.
    """
    with _lock:
        run = _runs.get(owner)
        if run is None:
            run = _runs[owner] = _Run(started_at=monotonic(), thread=None)
        run.stop.set()
    if run.thread is not None:
        run.thread.join(STOP_WAIT_SECONDS)
        if run.thread.is_alive():
            log.warning("webhook delivery run still busy at shutdown; left behind")
