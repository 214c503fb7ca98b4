"""The state machines of batches and payouts: every allowed transition, in one table each."""

from __future__ import annotations

from sozu.disbursements.models import Batch, Payout
from sozu.errors import SozuError

B = Batch.Status
P = Payout.Status

BATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    B.VALIDATED: frozenset({B.EXECUTING, B.CANCELLED}),
    B.EXECUTING: frozenset({B.PAUSED, B.COMPLETED, B.PARTIALLY_PAID, B.FAILED, B.CANCELLED}),
    B.PAUSED: frozenset({B.EXECUTING, B.COMPLETED, B.PARTIALLY_PAID, B.FAILED, B.CANCELLED}),
    # Retrying failed lines reopens a finished batch.
    B.PARTIALLY_PAID: frozenset({B.EXECUTING}),
    B.FAILED: frozenset({B.EXECUTING}),
    B.COMPLETED: frozenset(),
    B.CANCELLED: frozenset(),
}

PAYOUT_TRANSITIONS: dict[str, frozenset[str]] = {
    P.VALIDATED: frozenset({P.QUEUED, P.CANCELLED}),
    P.QUEUED: frozenset({P.IN_FLIGHT, P.FAILED, P.CANCELLED}),
    # Released (not paid, repacked) goes back to queued; only evidence from the network
    # moves an in-flight payout to paid or failed.
    # ... or, when its batch was cancelled meanwhile, to cancelled.
    P.IN_FLIGHT: frozenset({P.PAID, P.FAILED, P.QUEUED, P.CANCELLED}),
    P.FAILED: frozenset({P.QUEUED}),
    P.PAID: frozenset(),
    P.CANCELLED: frozenset(),
}

#: Payouts that still hold money of the organization (reserved: counts as spent).
RESERVED_PAYOUT_STATUSES = (P.QUEUED, P.IN_FLIGHT)
OPEN_PAYOUT_STATUSES = (P.VALIDATED, P.QUEUED, P.IN_FLIGHT)


def check_batch(batch: Batch, target: str, action: str) -> None:
    if target not in BATCH_TRANSITIONS[batch.status]:
        raise SozuError("invalid_transition", object="batch", status=batch.status, action=action)


def payout_can(current: str, target: str) -> bool:
    return target in PAYOUT_TRANSITIONS[current]
