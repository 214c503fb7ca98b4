"""Reads of the dashboard's batch and payout pages: one organization, constant queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from sozu.beneficiaries.models import Beneficiary
from sozu.disbursements.models import Batch, Payout
from sozu.orgs.models import Organization

P = Payout.Status
B = Batch.Status

#: Batches whose progress still changes: their page polls the progress fragment.
LIVE_BATCH_STATUSES = (B.EXECUTING, B.PAUSED)


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch's lines stand: paid, failed, in flight (queued or submitted), cancelled."""

    lines: int
    paid: int
    failed: int
    in_flight: int
    waiting: int  # validated, not yet released to the engine
    cancelled: int
    paid_amount: Decimal
    failed_amount: Decimal

    @property
    def settled(self) -> int:
        return self.paid + self.failed + self.cancelled

    @property
    def percent(self) -> int:
        """Share of lines settled (paid, failed or cancelled), 0-100, rounded down."""
        if not self.lines:
            return 0
        return self.settled * 100 // self.lines


def batch_progress(*, batch: Batch) -> BatchProgress:
    """One aggregate query over the (batch, status) index."""
    agg = Payout.objects.filter(batch=batch).aggregate(
        lines=Count("id"),
        paid=Count("id", filter=Q(status=P.PAID)),
        failed=Count("id", filter=Q(status=P.FAILED)),
        in_flight=Count("id", filter=Q(status__in=(P.QUEUED, P.IN_FLIGHT))),
        waiting=Count("id", filter=Q(status=P.VALIDATED)),
        cancelled=Count("id", filter=Q(status=P.CANCELLED)),
        paid_amount=Sum("amount", filter=Q(status=P.PAID)),
        failed_amount=Sum("amount", filter=Q(status=P.FAILED)),
    )
    return BatchProgress(
        lines=agg["lines"],
        paid=agg["paid"],
        failed=agg["failed"],
        in_flight=agg["in_flight"],
        waiting=agg["waiting"],
        cancelled=agg["cancelled"],
        # SQLite sums decimals with float noise: quantize to the 7 decimals of Stellar.
        paid_amount=Decimal(agg["paid_amount"] or 0).quantize(Decimal("0.0000001")),
        failed_amount=Decimal(agg["failed_amount"] or 0).quantize(Decimal("0.0000001")),
    )


def batch_is_live(batch: Batch) -> bool:
    return batch.status in LIVE_BATCH_STATUSES


def batch_list_for_page(*, organization: Organization, status: str = "") -> QuerySet[Batch]:
    """The organization's batches, newest first, with paid/failed counts in the same query."""
    qs = Batch.objects.filter(organization=organization)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        paid_count=Count("lines", filter=Q(lines__status=P.PAID)),
        failed_count=Count("lines", filter=Q(lines__status=P.FAILED)),
    ).order_by("-created_at", "-id")


def batch_lines_for_page(*, batch: Batch, status: str = "") -> QuerySet[Payout]:
    qs = Payout.objects.filter(batch=batch).select_related("beneficiary")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("line_number", "id")


@dataclass(frozen=True)
class PayoutFilters:
    status: str = ""
    beneficiary_id: int | None = None
    batch_id: int | None = None
    #: Days in the organization's time zone (inclusive).
    date_from: date | None = None
    date_to: date | None = None
    #: "single" (no batch) or "batch" (a line of any batch), empty for both.
    kind: str = ""
    #: Part of the beneficiary's name, or the start of the destination address.
    search: str = ""


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def payout_list(*, organization: Organization, filters: PayoutFilters) -> QuerySet[Payout]:
    """Every payout of the organization that matches the filters, newest first."""
    qs = Payout.objects.filter(organization=organization).select_related("beneficiary", "batch")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.beneficiary_id is not None:
        qs = qs.filter(beneficiary_id=filters.beneficiary_id)
    if filters.batch_id is not None:
        qs = qs.filter(batch_id=filters.batch_id)
    if filters.kind == "single":
        qs = qs.filter(batch__isnull=True)
    elif filters.kind == "batch":
        qs = qs.filter(batch__isnull=False)
    if filters.search:
        qs = qs.filter(
            Q(beneficiary__full_name__icontains=filters.search)
            | Q(destination__startswith=filters.search.upper())
        )
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def payout_for_page(*, organization: Organization, payout_id: int) -> Payout | None:
    return (
        Payout.objects.filter(organization=organization, pk=payout_id)
        .select_related("beneficiary", "batch")
        .first()
    )


def payout_attempts(*, payout: Payout) -> list[object]:
    """The payout's attempts with their transactions, oldest first (a payout has a handful)."""
    return list(payout.attempts.select_related("transaction").order_by("id"))


def approved_beneficiaries(
    *, organization: Organization, search: str = ""
) -> QuerySet[Beneficiary]:
    """Who can be put in a batch: approved beneficiaries, by name."""
    qs = Beneficiary.objects.filter(organization=organization, status=Beneficiary.Status.APPROVED)
    if search:
        qs = qs.filter(
            Q(full_name__icontains=search)
            | Q(national_id__icontains=search)
            | Q(stellar_address__iexact=search)
        )
    return qs.order_by("full_name", "id")
