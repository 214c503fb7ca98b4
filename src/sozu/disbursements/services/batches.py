"""Batches: create (all lines valid or nothing saved), execute, pause, resume, cancel, retry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services import checks
from sozu.disbursements.services.events import emit_batch_status, emit_payouts_status
from sozu.disbursements.services.lines import validate_lines
from sozu.disbursements.services.transitions import OPEN_PAYOUT_STATUSES, check_batch
from sozu.errors import SozuError, message_for
from sozu.orgs.models import Organization

B = Batch.Status
P = Payout.Status
#: The pause code of a batch the user cancelled while lines were still in flight: it is never
#: resumed, executed or retried; it ends `cancelled` once those lines settle.
CANCELLING = "cancelling"


def is_cancelling(batch: Batch) -> bool:
    return batch.status == B.PAUSED and batch.pause_code == CANCELLING


def _refuse_if_cancelled(batch: Batch, action: str) -> None:
    """A cancelled batch stays cancelled: nothing may put its lines back to work."""
    if is_cancelling(batch):
        raise SozuError("batch_cancelling", action=action)


def batch_create(
    *,
    organization: Organization,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    actor: str,
    name: str = "",
    check_destinations: bool = True,
) -> Batch:
    """A validated batch. Any invalid line refuses the whole batch and saves nothing."""
    specs = validate_lines(
        organization_id=organization.pk, rows=rows, max_lines=organization.max_lines_per_batch
    )
    total = checks.check_limits(organization, specs)
    checks.check_daily_cap(organization, total)
    checks.check_funds(organization, total)
    checked_at = None
    if check_destinations:
        problems = checks.destination_problems(s.destination for s in specs)
        if problems:
            errors = [
                {
                    "line": s.line,
                    "code": problems[s.destination],
                    "message": message_for(problems[s.destination]),
                }
                for s in specs
                if s.destination in problems
            ]
            raise SozuError("invalid_lines", errors=errors, count=len(errors))
        checked_at = timezone.now()
    with transaction.atomic():
        batch = Batch.objects.create(
            organization=organization,
            name=name,
            line_count=len(specs),
            total_amount=total,
            created_by=actor,
        )
        Payout.objects.bulk_create(
            [
                Payout(
                    organization=organization,
                    batch=batch,
                    line_number=s.line,
                    destination=s.destination,
                    beneficiary_id=s.beneficiary_id,
                    amount=s.amount,
                    memo=s.memo,
                    status=P.VALIDATED,
                    created_by=actor,
                    destination_checked_at=checked_at,
                )
                for s in specs
            ],
            batch_size=1000,
        )
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "batch.created",
                "batch",
                batch.pk,
                {"lines": len(specs), "total": str(total), "name": name},
            ),
        )
    return batch


def _locked(batch_id: int, organization: Organization) -> Batch:
    batch = Batch.objects.select_for_update().filter(pk=batch_id, organization=organization).first()
    if batch is None:
        raise SozuError("not_found")
    return batch


def _set_status(batch: Batch, target: str, actor: str, action: str, **data: Any) -> None:
    check_batch(batch, target, action)
    previous = batch.status
    batch.status = target
    fields = ["status"]
    now = timezone.now()
    if target == B.EXECUTING and batch.started_at is None:
        batch.started_at = now
        fields.append("started_at")
    if target in (B.COMPLETED, B.PARTIALLY_PAID, B.FAILED, B.CANCELLED):
        batch.finished_at = now
        fields.append("finished_at")
    if target != B.PAUSED and batch.pause_code:
        batch.pause_code = ""
        fields.append("pause_code")
    batch.save(update_fields=fields)
    audit_record(
        organization_id=batch.organization_id,
        entry=Entry(
            actor, f"batch.{action}", "batch", batch.pk, {"from": previous, "to": target, **data}
        ),
    )
    emit_batch_status(batch)


def batch_execute(*, organization: Organization, batch_id: int, actor: str) -> Batch:
    """Release the lines to the engine, after checking the cap and the funds again."""
    batch = Batch.objects.filter(pk=batch_id, organization=organization).first()
    if batch is None:
        raise SozuError("not_found")
    _refuse_if_cancelled(batch, "executed")
    check_batch(batch, B.EXECUTING, "executed")
    with transaction.atomic():
        locked = checks.lock_for_money(organization)  # the cap and funds hold until commit
        batch = _locked(batch_id, organization)
        _refuse_if_cancelled(batch, "executed")
        check_batch(batch, B.EXECUTING, "executed")
        checks.check_daily_cap(locked, batch.total_amount)
        checks.check_funds(locked, batch.total_amount)
        now = timezone.now()
        n = batch.lines.filter(status=P.VALIDATED).update(status=P.QUEUED, queued_at=now)
        _set_status(batch, B.EXECUTING, actor, "executed", lines_queued=n)
    return batch


def batch_pause(
    *, organization: Organization, batch_id: int, actor: str, code: str = "paused_by_user"
) -> Batch:
    with transaction.atomic():
        batch = _locked(batch_id, organization)
        _set_status(batch, B.PAUSED, actor, "paused", code=code)
        Batch.objects.filter(pk=batch.pk).update(pause_code=code)
        batch.pause_code = code
    return batch


def _check_resumable(batch: Batch) -> None:
    """Only a paused batch resumes (a finished one is retried, a cancelled one never)."""
    _refuse_if_cancelled(batch, "resumed")
    if batch.status != B.PAUSED:
        raise SozuError("invalid_transition", object="batch", status=batch.status, action="resumed")


def batch_resume(*, organization: Organization, batch_id: int, actor: str) -> Batch:
    batch = Batch.objects.filter(pk=batch_id, organization=organization).first()
    if batch is None:
        raise SozuError("not_found")
    _check_resumable(batch)
    # Queued lines are already reserved: resuming needs only that the wallet covers them all.
    checks.check_funds(organization, Decimal(0))
    with transaction.atomic():
        batch = _locked(batch_id, organization)
        _check_resumable(batch)
        _set_status(batch, B.EXECUTING, actor, "resumed")
    return batch


def batch_cancel(*, organization: Organization, batch_id: int, actor: str) -> Batch:
    """Cancel every line not yet in flight; lines in flight settle, then the batch ends
    `cancelled` (lines already paid stay paid). Lines released from flight are cancelled too."""
    with transaction.atomic():
        batch = _locked(batch_id, organization)
        _refuse_if_cancelled(batch, "cancelled")
        check_batch(batch, B.CANCELLED, "cancelled")
        lines = list(batch.lines.select_for_update().filter(status__in=(P.VALIDATED, P.QUEUED)))
        n = batch.lines.filter(pk__in=[p.pk for p in lines]).update(
            status=P.CANCELLED, failure_code="cancelled_by_user"
        )
        for p in lines:
            p.status, p.failure_code = P.CANCELLED, "cancelled_by_user"
        audit_record(
            organization_id=organization.pk,
            entry=Entry(actor, "batch.lines_cancelled", "batch", batch.pk, {"lines": n}),
        )
        emit_payouts_status(lines)
        if batch.status == B.VALIDATED:
            # Never released to the engine: no line can be in flight, the batch is over.
            _set_status(batch, B.CANCELLED, actor, "cancelled", lines=n)
        elif not batch_finalize(batch, actor, cancelled=True):
            # Lines still in flight: nothing new is packed, and whatever comes back
            # unpaid is cancelled; the batch ends cancelled once they settle.
            was_executing = batch.status == B.EXECUTING
            batch.pause_code = CANCELLING  # announced with the status change
            if was_executing:
                _set_status(batch, B.PAUSED, actor, "paused", code=CANCELLING)
            Batch.objects.filter(pk=batch.pk).update(pause_code=CANCELLING)
            if not was_executing:
                emit_batch_status(batch)
    return batch


def batch_retry_failed(*, organization: Organization, batch_id: int, actor: str) -> Batch:
    batch = Batch.objects.filter(pk=batch_id, organization=organization).first()
    if batch is None:
        raise SozuError("not_found")
    _refuse_if_cancelled(batch, "retried")
    check_batch(batch, B.EXECUTING, "retried")
    if not batch.lines.filter(status=P.FAILED).exists():
        # Nothing to pay again: reopening the batch would leave it executing forever.
        raise SozuError("nothing_to_retry")
    with transaction.atomic():
        locked = checks.lock_for_money(organization)  # the cap and funds hold until commit
        batch = _locked(batch_id, organization)
        _refuse_if_cancelled(batch, "retried")
        check_batch(batch, B.EXECUTING, "retried")
        failed_total = checks._sum(batch.lines.filter(status=P.FAILED))
        checks.check_daily_cap(locked, failed_total)  # requeued lines count from now on
        checks.check_funds(locked, failed_total)
        n = batch.lines.filter(status=P.FAILED).update(
            status=P.QUEUED,
            failure_code="",
            not_before=None,
            destination_checked_at=None,
            attempts_count=0,
            queued_at=timezone.now(),
        )
        if not n:
            raise SozuError("nothing_to_retry")  # another request retried them meanwhile
        _set_status(batch, B.EXECUTING, actor, "retried", lines_requeued=n)
    return batch


def batch_finalize(batch: Batch, actor: str, *, cancelled: bool = False) -> bool:
    """Close a batch with no open line; call inside a transaction holding the batch row.

    A batch the user cancelled (`cancelled`, or paused as cancelling) ends `cancelled` even
    when some lines were paid before the cancel: those stay paid and are counted."""
    if batch.status not in (B.EXECUTING, B.PAUSED):
        return False
    if batch.lines.filter(status__in=OPEN_PAYOUT_STATUSES).exists():
        return False  # the common case while paying, answered from the (batch, status) index
    counts = batch.lines.aggregate(
        open=Count("id", filter=Q(status__in=(P.VALIDATED, P.QUEUED, P.IN_FLIGHT))),
        paid=Count("id", filter=Q(status=P.PAID)),
        failed=Count("id", filter=Q(status=P.FAILED)),
        cancelled=Count("id", filter=Q(status=P.CANCELLED)),
    )
    if counts["open"]:
        return False
    if cancelled or is_cancelling(batch):
        target = B.CANCELLED
    elif counts["paid"] == batch.line_count:
        target = B.COMPLETED
    elif counts["paid"]:
        target = B.PARTIALLY_PAID
    elif counts["failed"]:
        target = B.FAILED
    else:
        target = B.CANCELLED
    _set_status(batch, target, actor, "finished", **counts)
    return True


def batches_finalize(batch_ids: Iterable[int], actor: str) -> None:
    for batch_id in set(batch_ids):
        if Payout.objects.filter(batch_id=batch_id, status__in=OPEN_PAYOUT_STATUSES).exists():
            continue  # still paying: no need to lock the batch
        with transaction.atomic():
            batch = Batch.objects.select_for_update().get(pk=batch_id)
            batch_finalize(batch, actor)


def batches_pause_for(batch_ids: Iterable[int], code: str, actor: str) -> None:
    """The engine pauses batches when the organization must act (e.g. its wallet ran dry)."""
    for batch_id in set(batch_ids):
        with transaction.atomic():
            batch = Batch.objects.select_for_update().get(pk=batch_id)
            if batch.status == B.EXECUTING:
                _set_status(batch, B.PAUSED, actor, "paused", code=code)
                Batch.objects.filter(pk=batch.pk).update(pause_code=code)
