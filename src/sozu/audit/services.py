"""Writing the audit log: every state transition appends here in the same DB transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from sozu.audit.models import AuditEvent, ChainHead


@dataclass(frozen=True)
class Entry:
    """One event to append: `actor` says who (user:ID, api:PREFIX, cli, worker:NAME)."""

    actor: str
    action: str
    object_type: str
    object_id: str | int
    data: dict[str, Any] = field(default_factory=dict)
    tx_hash: str = ""


def _digest(org_id: int | None, seq: int, created_at: str, entry: Entry, prev_hash: str) -> str:
    canonical = json.dumps(
        [
            org_id,
            seq,
            created_at,
            entry.actor,
            entry.action,
            entry.object_type,
            str(entry.object_id),
            entry.data,
            entry.tx_hash,
            prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_record_many(*, organization_id: int | None, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append entries to the organization's chain, in order, atomically."""
    if not entries:
        return []
    with transaction.atomic():
        ChainHead.objects.get_or_create(organization_id=organization_id)
        head = ChainHead.objects.select_for_update().get(
            organization_id=organization_id  # type: ignore[misc]
        )
        now = timezone.now()
        stamp = now.isoformat()
        seq, prev = head.last_seq, head.last_hash
        rows = []
        for entry in entries:
            seq += 1
            digest = _digest(organization_id, seq, stamp, entry, prev)
            rows.append(
                AuditEvent(
                    organization_id=organization_id,
                    seq=seq,
                    created_at=now,
                    actor=entry.actor,
                    action=entry.action,
                    object_type=entry.object_type,
                    object_id=str(entry.object_id),
                    data=entry.data,
                    tx_hash=entry.tx_hash,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        AuditEvent.objects.bulk_create(rows, batch_size=1000)
        ChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev)
        return rows


def audit_record(*, organization_id: int | None, entry: Entry) -> AuditEvent:
    return audit_record_many(organization_id=organization_id, entries=[entry])[0]


def audit_verify_chain(*, organization_id: int | None) -> int | None:
    """The seq of the first event whose hash does not match its content, or None if intact."""
    prev = "0" * 64
    expected_seq = 0
    events: Iterable[AuditEvent] = (
        AuditEvent.objects.filter(organization_id=organization_id)  # type: ignore[misc]
        .order_by("seq")
        .iterator()
    )
    for ev in events:
        expected_seq += 1
        entry = Entry(ev.actor, ev.action, ev.object_type, ev.object_id, ev.data, ev.tx_hash)
        stamp = ev.created_at.isoformat()
        if (
            ev.seq != expected_seq
            or ev.prev_hash != prev
            or _digest(organization_id, ev.seq, stamp, entry, prev) != ev.hash
        ):
            return ev.seq
        prev = ev.hash
    return None
