"""Injected faults: lost responses, dropped submissions, 429/503, latency, crashes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any

PROBABILITIES = (
    "lost_response_after_inclusion",
    "timeout_before_inclusion",
    "rate_limit",
    "unavailable",
)


@dataclass
class Faults:
    """Probabilities per submission (POST /transactions and /transactions_async).

    rate_limit, unavailable and latency_ms also hit GET requests when `gets` is true, and
    `GET /` (Horizon's root: the latest ledger) too when `root` is also true; the admin
    endpoints under /localnet are never faulted, so tests can always reach and reset the
    network.

    `lag_ledgers` answers from a view that many ledgers behind, as a load-balanced Horizon
    with a node behind the others does: `GET /transactions/{hash}` answers 404 for a
    transaction of the last `lag_ledgers` ledgers, and, when `lag_root` is true, `GET /`
    reports the latest ledger that far back too.
    """

    lost_response_after_inclusion: float = 0.0
    timeout_before_inclusion: float = 0.0
    rate_limit: float = 0.0
    unavailable: float = 0.0
    latency_ms: int = 0
    gets: bool = False
    root: bool = False
    lag_ledgers: int = 0
    lag_root: bool = False
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)
    #: How many requests each fault hit so far, and how many of them were reads (GET).
    hits: dict[str, int] = field(default_factory=dict, repr=False)
    get_hits: int = 0

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)} - {"rng", "hits", "get_hits"}
        unknown = set(d) - known - {"crash"}
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        f = cls()
        for name in PROBABILITIES:
            p = float(d.get(name, 0.0))
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability")
            setattr(f, name, p)
        f.latency_ms = int(d.get("latency_ms", 0))
        f.gets = bool(d.get("gets", False))
        f.root = bool(d.get("root", False))
        f.lag_ledgers = int(d.get("lag_ledgers", 0))
        if f.lag_ledgers < 0:
            raise ValueError("lag_ledgers must not be negative")
        f.lag_root = bool(d.get("lag_root", False))
        f.seed = d.get("seed")
        f.rng = random.Random(f.seed)
        return f

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {n: getattr(self, n) for n in PROBABILITIES}
        d.update(
            latency_ms=self.latency_ms,
            gets=self.gets,
            root=self.root,
            lag_ledgers=self.lag_ledgers,
            lag_root=self.lag_root,
            seed=self.seed,
            hits=dict(self.hits),
            get_hits=self.get_hits,
        )
        return d

    def roll(self, name: str) -> bool:
        p = float(getattr(self, name))
        hit = p > 0 and self.rng.random() < p
        if hit:
            self.hits[name] = self.hits.get(name, 0) + 1
        return hit
