"""Prometheus metrics of the payment engine (per worker process)."""

from __future__ import annotations

from prometheus_client import Counter

WORKER_ERRORS = Counter(
    "sozu_worker_errors_total",
    "Worker steps that failed and were retried (network: Horizon unreachable or refusing)",
    ["kind"],
)
#: An alarm: an envelope recorded as never included was found in a ledger. Its lines may have
#: been paid again by a later envelope; a person must look (the log says which).
DISCARDED_BUT_INCLUDED = Counter(
    "sozu_discarded_envelope_included_total",
    "Envelopes recorded as never included (discarded) that the network shows as included",
)
