"""Reads for the API, the CLI and (later) the dashboard; always scoped to one organization."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from sozu.disbursements.models import Batch, BatchApproval, Payout
from sozu.errors import SozuError, message_for
from sozu.orgs.models import Organization
from sozu.stellar.amounts import format_amount


def batch_get(*, organization: Organization, batch_id: int) -> Batch:
    batch = Batch.objects.filter(organization=organization, pk=batch_id).first()
    if batch is None:
        raise SozuError("not_found")
    return batch


def payout_get(*, organization: Organization, payout_id: int) -> Payout:
    payout = Payout.objects.filter(organization=organization, pk=payout_id).first()
    if payout is None:
        raise SozuError("not_found")
    return payout


def batch_stats(batch: Batch) -> dict[str, Any]:
    rows = batch.lines.values("status").annotate(n=Count("id"), total=Sum("amount"))
    # SQLite sums decimals with extra digits ("30.5000001000000"): always show 7 decimals.
    by_status = {
        r["status"]: {"count": r["n"], "amount": format_amount(Decimal(r["total"] or 0))}
        for r in rows
    }
    paid = by_status.get(Payout.Status.PAID, {"count": 0, "amount": format_amount(Decimal(0))})
    duration = None
    if batch.started_at:
        end = batch.finished_at
        if end:
            duration = (end - batch.started_at).total_seconds()
    return {
        "lines": batch.line_count,
        "total_amount": format_amount(Decimal(batch.total_amount)),
        "paid_count": paid["count"],
        "paid_amount": paid["amount"],
        "by_status": by_status,
        "duration_seconds": duration,
    }


def payout_as_dict(p: Payout) -> dict[str, Any]:
    return {
        "id": p.pk,
        "batch_id": p.batch_id,
        "line": p.line_number if p.batch_id else None,
        "destination": p.destination,
        "beneficiary_id": p.beneficiary_id,
        "amount": str(p.amount),
        "memo": p.memo,
        "status": p.status,
        "tx_hash": p.tx_hash or None,
        "ledger": p.ledger,
        "failure_code": p.failure_code or None,
        "failure_reason": message_for(p.failure_code) if p.failure_code else None,
        "created_at": p.created_at.isoformat() if p.created_at else None,
        "paid_at": p.paid_at.isoformat() if p.paid_at else None,
    }


def batch_as_dict(batch: Batch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "name": batch.name,
        "status": batch.status,
        "pause_code": batch.pause_code or None,
        "pause_reason": message_for(batch.pause_code) if batch.pause_code else None,
        "created_at": batch.created_at.isoformat(),
        "started_at": batch.started_at.isoformat() if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "stats": batch_stats(batch),
    }


def batch_list(*, organization: Organization, status: str | None = None) -> QuerySet[Batch]:
    """The organization's batches, newest first."""
    qs = Batch.objects.filter(organization=organization).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def batch_lines(*, batch: Batch, status: str | None = None) -> QuerySet[Payout]:
    qs = batch.lines.select_related("beneficiary").order_by("line_number", "id")
    if status:
        qs = qs.filter(status=status)
    return qs


_PHONE_LIKE = re.compile(r"[+-][0-9 ().-]*")

EXPORT_COLUMNS = [
    "line",
    "payout_id",
    "beneficiary_id",
    "full_name",
    "national_id",
    "email",
    "phone",
    "destination",
    "amount",
    "memo",
    "status",
    "tx_hash",
    "ledger",
    "failure_code",
    "failure_reason",
    "paid_at",
]


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas in free text (names, memos) of an exported CSV.

    A phone number such as "+54 9 387 555 0101" stays as it is: only digits and separators.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in ("=", "@", "\t", "\r") or (
        value[0] in ("+", "-") and not _PHONE_LIKE.fullmatch(value)
    ):
        return "'" + value
    return value


def batch_export_csv(*, batch: Batch) -> Iterator[str]:
    """The batch's lines with beneficiary contact details, for reconciliation (streamed)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    yield buf.getvalue()
    for p in batch_lines(batch=batch).iterator(chunk_size=2000):
        buf.seek(0)
        buf.truncate()
        b = p.beneficiary
        writer.writerow(
            [
                p.line_number,
                p.pk,
                p.beneficiary_id or "",
                _cell(b.full_name) if b else "",
                _cell(b.national_id) if b else "",
                _cell(b.email) if b else "",
                _cell(b.phone) if b else "",
                p.destination,
                p.amount,
                _cell(p.memo),
                p.status,
                p.tx_hash,
                p.ledger or "",
                p.failure_code,
                message_for(p.failure_code) if p.failure_code else "",
                p.paid_at.isoformat() if p.paid_at else "",
            ]
        )
        yield buf.getvalue()


def batch_approvals(*, batch: Batch) -> list[BatchApproval]:
    """Every approval of the batch, live and voided (with why), oldest first."""
    return list(BatchApproval.objects.filter(batch=batch).order_by("created_at", "pk"))
