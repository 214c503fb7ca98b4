"""Prometheus metrics for Horizon calls (latency and errors, by call and status)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HORIZON_LATENCY = Histogram(
    "sozu_horizon_request_seconds",
    "Latency of Horizon requests",
    ["call"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
HORIZON_ERRORS = Counter(
    "sozu_horizon_errors_total", "Horizon requests that did not answer 2xx", ["call", "status"]
)


def observe_horizon(call: str, seconds: float, status: str = "200") -> None:
    HORIZON_LATENCY.labels(call=call).observe(seconds)
    if not status.startswith("2"):
        HORIZON_ERRORS.labels(call=call, status=status).inc()
