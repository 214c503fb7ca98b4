"""Webhook events for payout and batch status changes (emitted inside the same transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sozu.disbursements.models import Batch, Payout
from sozu.stellar.amounts import format_amount
from sozu.webhooks.services import webhook_event_emit, webhook_events_emit


def emit_batch_status(batch: Batch) -> None:
    webhook_event_emit(
        organization_id=batch.organization_id,
        event_type=f"batch.{batch.status}",
        payload={"batch_id": batch.pk, "status": batch.status, "pause_code": batch.pause_code},
    )


def emit_payouts_status(payouts: Iterable[Payout]) -> None:
    """One event per payout that reached a final status (paid / failed / cancelled)."""
    by_org: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for p in payouts:
        by_org.setdefault(p.organization_id, []).append(
            (
                f"payout.{p.status}",
                {
                    "payout_id": p.pk,
                    "batch_id": p.batch_id,
                    "status": p.status,
                    "destination": p.destination,
                    "amount": format_amount(p.amount),  # 7 decimals, never 1E-7
                    "tx_hash": p.tx_hash or None,
                    "outer_tx_hash": p.outer_tx_hash or p.tx_hash or None,
                    "ledger": p.ledger,
                    "failure_code": p.failure_code or None,
                },
            )
        )
    for org_id, events in by_org.items():
        webhook_events_emit(organization_id=org_id, events=events)
