"""Reading the audit log of one organization: filtered lists and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from sozu.audit.models import AuditEvent, ChainHead
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


def audit_event_count(*, organization: Organization) -> int:
    """How many events the organization's log holds, without counting them.

    The chain numbers its events 1, 2, 3… without gaps (`audit_verify_chain` checks it), so
    the head's last seq is the count: one indexed row read instead of a COUNT(*) over the log.
    """
    head = ChainHead.objects.filter(organization=organization).values_list("last_seq", flat=True)
    return int(head.first() or 0)


def audit_actions(*, organization: Organization) -> list[str]:
    """The actions that occur in the organization's log (for the filter's choices).

    Cached with the seq it was read at: a later call reads only the events appended since
    (a range of the (organization, seq) index), never the whole log again.
    """
    key = f"audit:actions:{organization.pk}"
    upto, known = cache.get(key) or (0, [])
    last = audit_event_count(organization=organization)
    if upto == last:
        return list(known)
    if upto > last:  # a cache older than this database: read everything again
        upto, known = 0, []
    found = (
        AuditEvent.objects.filter(organization=organization, seq__gt=upto, seq__lte=last)
        .order_by()  # no ordering columns in the DISTINCT
        .values_list("action", flat=True)
        .distinct()
    )
    actions = sorted(set(known) | set(found))
    cache.set(key, (last, actions), None)
    return actions


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
