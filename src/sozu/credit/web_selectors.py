"""Reads for the loan pages: the list (filters, one page, positions in bulk) and one loan.

The list's query count does not depend on how many loans are on the page: the cuotas and the
repayments of the page's loans are read in one query each, and each position is computed in
Python by allocation.allocate, exactly as `loan_position` does for one loan.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from sozu.audit.models import AuditEvent
from sozu.credit.allocation import COMPONENTS, CuotaDue, CuotaState, Payment, Position, allocate
from sozu.credit.models import Cuota, Loan, Repayment, ScheduleChange
from sozu.credit.simulator import ZERO
from sozu.orgs.models import Organization


def loan_list_for_page(
    *, organization: Organization, status: str = "", product_id: int | None = None, search: str = ""
) -> QuerySet[Loan]:
    loans = Loan.objects.filter(organization=organization).select_related("beneficiary", "product")
    if status:
        loans = loans.filter(status=status)
    if product_id:
        loans = loans.filter(product_id=product_id)
    text = search.strip()
    if text:
        match = Q(beneficiary__full_name__icontains=text)
        digits = re.sub(r"\D", "", text)
        if digits:
            match |= Q(beneficiary__national_id__startswith=digits)
            if text.upper().startswith("SOZU-") or text.isdigit():
                match |= Q(pk=int(digits[:18]))
        loans = loans.filter(match)
    return loans


def _position(loan: Loan, cuotas: Sequence[CuotaDue], payments: Sequence[Payment], as_of: dt.date):
    return allocate(
        cuotas=cuotas,
        payments=payments,
        as_of=as_of,
        late_tna=loan.late_tna,
        iva=loan.iva,
        grace_days=loan.grace_days,
    )


def loan_positions(*, loans: Iterable[Loan], as_of: dt.date) -> dict[int, Position]:
    """The position of each loan that has a schedule, in two queries whatever their number."""
    by_id = {loan.pk: loan for loan in loans}
    cuotas: dict[int, list[CuotaDue]] = defaultdict(list)
    for row in Cuota.objects.filter(loan_id__in=list(by_id)).order_by("loan_id", "number"):
        cuotas[row.loan_id].append(
            CuotaDue(row.number, row.due_date, row.capital, row.interest, row.iva, row.fees)
        )
    payments: dict[int, list[Payment]] = defaultdict(list)
    rows = (
        Repayment.objects.filter(
            loan_id__in=list(cuotas), kind=Repayment.Kind.PAYMENT, reversal__isnull=True
        )
        .order_by("received_on", "id")
        .values_list("loan_id", "pk", "received_on", "amount")
    )
    for loan_id, pk, day, amount in rows:
        payments[loan_id].append(Payment(ref=pk, received_on=day, amount=amount))
    return {
        loan_id: _position(by_id[loan_id], schedule, payments[loan_id], as_of)
        for loan_id, schedule in cuotas.items()
    }


def next_due(position: Position) -> CuotaState | None:
    """The first cuota not fully paid (overdue or not)."""
    return next((c for c in position.cuotas if not c.is_paid), None)


@dataclass(frozen=True)
class CuotaLine:
    """One row of a loan's schedule as the page shows it."""

    row: Cuota
    label: str  # "3", or "" for a prepayment row
    state: CuotaState
    paid: Decimal
    outstanding: Decimal
    late: Decimal  # late interest with its IVA
    days_late: int
    overdue: bool


def schedule_lines(*, loan: Loan, position: Position | None) -> list[CuotaLine]:
    if position is None:
        return []
    states = {c.due.number: c for c in position.cuotas}
    lines = []
    count = 0
    for row in loan.schedule.order_by("number"):
        state = states[row.number]
        if row.kind == Cuota.Kind.CUOTA:
            count += 1
        paid = sum((state.paid[c] for c in COMPONENTS), ZERO)
        lines.append(
            CuotaLine(
                row=row,
                label=str(count) if row.kind == Cuota.Kind.CUOTA else "",
                state=state,
                paid=paid,
                outstanding=state.outstanding,
                late=state.late_interest + state.late_iva,
                days_late=state.days_late(position.as_of),
                overdue=not state.is_paid and row.due_date < position.as_of,
            )
        )
    return lines


def loan_repayments(*, loan: Loan) -> list[Repayment]:
    return list(
        Repayment.objects.filter(loan=loan)
        .select_related("reverses")
        .order_by("-received_on", "-id")
    )


def loan_schedule_changes(*, loan: Loan) -> list[ScheduleChange]:
    return list(ScheduleChange.objects.filter(loan=loan).order_by("-created_at", "-id"))


def loan_audit(*, loan: Loan, limit: int = 200) -> list[AuditEvent]:
    """The loan's own events and those of its repayments, oldest first."""
    repayment_ids = [
        str(pk) for pk in Repayment.objects.filter(loan=loan).values_list("pk", flat=True)
    ]
    return list(
        AuditEvent.objects.filter(organization_id=loan.organization_id)
        .filter(
            Q(object_type="loan", object_id=str(loan.pk))
            | Q(object_type="repayment", object_id__in=repayment_ids)
        )
        .order_by("seq")[:limit]
    )
