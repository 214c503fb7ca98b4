"""Maker-checker for batches: submitted by who prepared it, approved by others, then executed.

The rules, each enforced here and audited in the same transaction:
1. Whoever created or submitted a batch never approves it; one live approval per person
   (also a database constraint).
2. A batch is approved when its live approvals reach `required_approvals`, copied from the
   organization when it was submitted (a later policy change does not move the goalposts).
3. Any change to a batch after it was submitted voids every approval so far
   (`batch_approvals_void`): approvals are kept, marked void with the reason, never deleted.
Approval lives beside the batch status (validated → executing → …), which it does not change.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.disbursements.models import Batch, BatchApproval
from sozu.disbursements.services.batches import batch_execute
from sozu.errors import SozuError
from sozu.orgs.models import Organization

log = logging.getLogger(__name__)
B = Batch.Status


def _locked(organization: Organization, batch_id: int) -> Batch:
    batch = Batch.objects.select_for_update().filter(pk=batch_id, organization=organization).first()
    if batch is None:
        raise SozuError("not_found")
    return batch


def _live(batch: Batch) -> int:
    return BatchApproval.objects.filter(batch=batch, voided_at__isnull=True).count()


def _check_aware(when: datetime | None) -> None:
    if when is not None and timezone.is_naive(when):
        raise SozuError("invalid_field", field="scheduled_for")


def batch_submit_for_approval(
    *,
    organization: Organization,
    batch_id: int,
    actor: str,
    scheduled_for: datetime | None = None,
) -> Batch:
    """Send a validated batch for approval; `scheduled_for` lets the worker execute it then."""
    _check_aware(scheduled_for)
    with transaction.atomic():
        batch = _locked(organization, batch_id)
        if batch.status != B.VALIDATED:
            raise SozuError(
                "invalid_transition", object="batch", status=batch.status, action="submitted"
            )
        if batch.submitted_at is not None:
            raise SozuError("batch_already_submitted")
        batch.prepared_by = actor
        batch.submitted_at = timezone.now()
        batch.required_approvals = max(1, organization.batch_approvals_required)
        batch.scheduled_for = scheduled_for
        batch.save(
            update_fields=["prepared_by", "submitted_at", "required_approvals", "scheduled_for"]
        )
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "batch.submitted",
                "batch",
                batch.pk,
                {
                    "required_approvals": batch.required_approvals,
                    "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
                },
            ),
        )
    return batch


def batch_approve(*, organization: Organization, batch_id: int, actor: str) -> BatchApproval:
    """One approval by `actor`; refused to its preparer and to a second approval by the same
    person. The caller checks the actor's role and step-up (the page does)."""
    try:
        with transaction.atomic():
            batch = _locked(organization, batch_id)
            problem = batch_approval_problem(batch, actor)
            if problem == "invalid_transition":
                raise SozuError(
                    "invalid_transition", object="batch", status=batch.status, action="approved"
                )
            if problem:
                raise SozuError(problem)
            count = _live(batch)
            approval = BatchApproval.objects.create(
                batch=batch, approver=actor, created_at=timezone.now()
            )
            audit_record(
                organization_id=organization.pk,
                entry=Entry(
                    actor,
                    "batch.approved",
                    "batch",
                    batch.pk,
                    {"approvals": count + 1, "required": batch.required_approvals},
                ),
            )
    except IntegrityError:
        # The same person approving twice at once (SQLite has no row lock to serialize it).
        raise SozuError("batch_already_approved_by_you") from None
    return approval


def batch_approval_problem(batch: Batch, actor: str) -> str | None:
    """Why `actor` cannot approve `batch` now (an error code), or None: for the page to show
    or hide its button; batch_approve checks it again under the row lock."""
    if batch.status != B.VALIDATED:
        return "invalid_transition"
    if batch.submitted_at is None:
        return "batch_not_submitted"
    if actor in (batch.created_by, batch.prepared_by):
        return "batch_approver_is_preparer"
    live = BatchApproval.objects.filter(batch=batch, voided_at__isnull=True)
    if live.filter(approver=actor).exists():
        return "batch_already_approved_by_you"
    if live.count() >= batch.required_approvals:
        return "batch_already_approved"
    return None


def batch_is_approved(batch: Batch) -> bool:
    """Submitted, and enough live approvals."""
    return batch.submitted_at is not None and _live(batch) >= max(1, batch.required_approvals)


def batch_check_approved(batch: Batch) -> None:
    """Refuse to execute a batch that is not approved (call before batch_execute)."""
    if not batch_is_approved(batch):
        raise SozuError(
            "batch_not_approved", approvals=_live(batch), required=batch.required_approvals
        )


def batch_approvals_void(batch: Batch, reason: str, *, actor: str = "system") -> int:
    """Void every live approval of `batch` because it changed; returns how many were voided.

    Call it in the transaction that changes the batch, holding its row lock
    (select_for_update), so that no approval slips in between (a line edited or removed, a
    new schedule). Batches are immutable after creation today, so only batch_schedule calls it.
    """
    with transaction.atomic():
        n = BatchApproval.objects.filter(batch=batch, voided_at__isnull=True).update(
            voided_at=timezone.now(), void_reason=reason[:200]
        )
        if n:
            audit_record(
                organization_id=batch.organization_id,
                entry=Entry(
                    actor,
                    "batch.approvals_voided",
                    "batch",
                    batch.pk,
                    {"reason": reason, "voided": n},
                ),
            )
    return n


def batch_schedule(
    *, organization: Organization, batch_id: int, scheduled_for: datetime | None, actor: str
) -> Batch:
    """Change when the worker executes a batch; a submitted batch needs approving again."""
    _check_aware(scheduled_for)
    with transaction.atomic():
        batch = _locked(organization, batch_id)
        if batch.status != B.VALIDATED:
            raise SozuError(
                "invalid_transition", object="batch", status=batch.status, action="scheduled"
            )
        if batch.scheduled_for == scheduled_for:
            return batch
        previous = batch.scheduled_for
        batch.scheduled_for = scheduled_for
        batch.save(update_fields=["scheduled_for"])
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "batch.scheduled",
                "batch",
                batch.pk,
                {
                    "from": previous.isoformat() if previous else None,
                    "to": scheduled_for.isoformat() if scheduled_for else None,
                },
            ),
        )
        batch_approvals_void(batch, "schedule changed", actor=actor)
    return batch


def batches_due_for_execution(now: datetime) -> list[Batch]:
    """Approved, still validated batches whose scheduled time has come (every organization)."""
    return list(
        Batch.objects.filter(status=B.VALIDATED, submitted_at__isnull=False, scheduled_for__lte=now)
        .annotate(live=Count("approvals", filter=Q(approvals__voided_at__isnull=True)))
        .filter(live__gte=F("required_approvals"))
        .select_related("organization")
        .order_by("scheduled_for", "pk")
    )


def batches_execute_due(*, now: datetime, actor: str = "worker:scheduler") -> list[int]:
    """Execute every batch due now; the ids executed. One step for the worker's loop.

    A batch that cannot start (funds, daily cap) stays validated and approved, is logged, and
    is tried again on the next call.
    """
    started = []
    for batch in batches_due_for_execution(now):
        if not batch_is_approved(batch):
            continue  # voided since the query
        try:
            batch_execute(organization=batch.organization, batch_id=batch.pk, actor=actor)
        except SozuError as exc:
            log.warning(
                "scheduled batch not started",
                extra={"batch": batch.pk, "code": exc.code},
            )
            continue
        started.append(batch.pk)
    return started
