"""Running webhook delivery from the disbursement worker without slowing its loop."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from django.db import connection

from sozu.webhooks.services import webhook_deliver_due

log = logging.getLogger(__name__)

#: A new delivery run starts at most this often (per worker pool).
EVERY_SECONDS = 1.0


@dataclass
class _Run:
    started_at: float
    future: Future[int] | None


_lock = threading.Lock()
_runs: weakref.WeakKeyDictionary[Executor, _Run] = weakref.WeakKeyDictionary()


def _deliver() -> int:
    try:
        return webhook_deliver_due()
    except Exception:
        log.exception("webhook delivery run failed")
        return 0
    finally:
        connection.close()  # pool threads are reused; never keep a broken connection


def webhooks_deliver_soon(pool: Executor) -> None:
    """Start a delivery run in `pool` unless one is running there or started less than 1 s ago.

    Called on every worker tick, it returns at once: a slow receiver delays other webhook
    events, never a payment. Running in the worker's own pool means `Worker.drain()` waits for
    the run on shutdown. Several workers may run at once: rows are claimed with `skip_locked`,
    so each delivery attempt is made by one of them.
    """
    now = time.monotonic()
    with _lock:
        last = _runs.get(pool)
        if last is not None:
            if last.future is not None and not last.future.done():
                return
            if now - last.started_at < EVERY_SECONDS:
                return
        try:
            future: Future[int] | None = pool.submit(_deliver)
        except RuntimeError:  # the pool is shutting down
            future = None
        _runs[pool] = _Run(started_at=now, future=future)
