"""Reading the audit log of one organization: filtered lists and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from sozu.audit.models import AuditEvent
from sozu.orgs.models import Organization

CSV_COLUMNS = (
    "seq",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "tx_hash",
    "ip",
    "user_agent",
    "data",
    "hash",
)


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    tx_hash: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def audit_events(*, organization: Organization, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The organization's events, newest first, narrowed by `filters`."""
    qs = AuditEvent.objects.filter(organization=organization)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.actor:
        qs = qs.filter(actor__icontains=filters.actor)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.tx_hash:
        qs = qs.filter(tx_hash__iexact=filters.tx_hash)
    if filters.since:
        qs = qs.filter(created_at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__date__lte=filters.until)
    return qs.order_by("-seq")


def audit_actions(*, organization: Organization) -> list[str]:
    """The actions that occur in the organization's log (for the filter's choices)."""
    return sorted(
        AuditEvent.objects.filter(organization=organization)
        .values_list("action", flat=True)
        .distinct()
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell that a spreadsheet would run as a formula is quoted (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_export_csv(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """CSV lines (header first) of `events`, streamed in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for ev in events.iterator(chunk_size=2000):
        data = dict(ev.data or {})
        ip = data.pop("ip", "")
        agent = data.pop("user_agent", "")
        writer.writerow(
            [
                _cell(v)
                for v in (
                    ev.seq,
                    ev.created_at.isoformat(),
                    ev.actor,
                    ev.action,
                    ev.object_type,
                    ev.object_id,
                    ev.tx_hash,
                    ip,
                    agent,
                    data,
                    ev.hash,
                )
            ]
        )
        yield flush()
