"""Her credit applied as a prepayment: the remaining cuotas are re-scheduled.

Overpayment is kept as her credit (allocation.py) and pays the next cuotas as they fall due.
A staff member may instead apply it now as a prepayment of capital; the loan's product decides
what that does (`Loan.prepayment`, copied from the product when the loan was prepared):

- reduce_term: the same cuota (or less), fewer cuotas: the fewest cuotas whose first total is
  not more than the next cuota's total was;
- reduce_cuota: the same number of cuotas, each smaller.

How, so that the allocation (recomputed from the append-only repayments) stays right:
1. The credit C is taken as of today; it is always less than the capital still to come (else
   recording the payment would have paid the loan off, or she should just pay it off).
2. A schedule row of kind "prepayment" for C, due today, takes the number of the first cuota
   still to come: the allocation pays it from her credit today, like any cuota that falls due.
3. The cuotas still to come are replaced by the simulator's schedule for the capital left
   (K - C), from the next due date on, with the loan's own rates and day of the month.
4. The replaced rows and their replacement are kept in a ScheduleChange (history) and the
   change is audited. Interest counts on the reduced capital from the next period on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.credit.errors import SozuError
from sozu.credit.models import Cuota, Loan, Prepayment, ScheduleChange
from sozu.credit.selectors import loan_position
from sozu.credit.services.loans import loan_locked
from sozu.credit.simulator import ZERO, LoanTerms, ScheduleRow, simulate

L = Loan.Status


def _row(c: Cuota | ScheduleRow, kind: str = Cuota.Kind.CUOTA) -> dict[str, Any]:
    return {
        "number": c.number,
        "kind": getattr(c, "kind", kind),
        "due_date": c.due_date.isoformat(),
        "nominal_date": c.nominal_date.isoformat(),
        "capital": str(c.capital),
        "interest": str(c.interest),
        "iva": str(c.iva),
        "fees": str(c.fees),
        "total": str(c.total),
        "balance": str(c.balance),
    }


def _day_of_month(loan: Loan) -> int:
    """The day monthly cuotas fall on, as when the schedule was first computed."""
    assert loan.disbursed_on is not None  # active loans were paid out
    if loan.first_due is not None and loan.first_due > loan.disbursed_on:
        return loan.first_due.day
    return loan.disbursed_on.day


def prepayment_schedule(
    *, loan: Loan, capital: Any, count: int, first_due: dt.date
) -> list[ScheduleRow]:
    """The simulator's schedule of `capital` in `count` cuotas with the loan's own terms."""
    terms = LoanTerms.parse(
        amount=capital,
        cuotas=count,
        frequency=loan.frequency,
        tna=loan.tna,
        system=loan.system,
        iva=loan.iva,
        first_due=first_due,
        insurance=loan.insurance,
        business_days=True,
        day_of_month=_day_of_month(loan),
    )
    return simulate(terms).rows


def loan_prepay(*, loan: Loan, actor: str) -> ScheduleChange:
    """Apply her whole credit today as a prepayment and re-schedule the cuotas still to come."""
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        if locked.status != L.ACTIVE:
            raise SozuError("repayment_loan_not_active", status=L(locked.status).label)
        today = timezone.localdate()
        credit = loan_position(loan=locked, as_of=today).credit
        if credit <= 0:
            raise SozuError("loan_prepayment_no_credit")
        rows = list(locked.schedule.order_by("number"))
        ahead = [c for c in rows if c.due_date > today]
        capital_ahead = sum((c.capital for c in ahead), ZERO)
        if not ahead or credit >= capital_ahead:
            raise SozuError("loan_prepayment_covers_all")
        left = capital_ahead - credit
        first = ahead[0]
        mode = locked.prepayment
        count = len(ahead)
        new = prepayment_schedule(
            loan=locked, capital=left, count=count, first_due=first.nominal_date
        )
        if mode == Prepayment.REDUCE_TERM:
            for fewer in range(1, count + 1):
                candidate = prepayment_schedule(
                    loan=locked, capital=left, count=fewer, first_due=first.nominal_date
                )
                if candidate[0].total <= first.total:
                    new = candidate
                    break
        old_rows = [_row(c) for c in ahead]
        Cuota.objects.filter(pk__in=[c.pk for c in ahead]).delete()
        prepaid = Cuota(
            loan=locked,
            number=first.number,
            kind=Cuota.Kind.PREPAYMENT,
            due_date=today,
            nominal_date=today,
            capital=credit,
            interest=0,
            iva=0,
            fees=0,
            total=credit,
            balance=left,
        )
        created = [prepaid] + [
            Cuota(
                loan=locked,
                number=first.number + row.number,
                kind=Cuota.Kind.CUOTA,
                due_date=row.due_date,
                nominal_date=row.nominal_date,
                capital=row.capital,
                interest=row.interest,
                iva=row.iva,
                fees=row.fees,
                total=row.total,
                balance=row.balance,
            )
            for row in new
        ]
        Cuota.objects.bulk_create(created)
        change = ScheduleChange.objects.create(
            organization_id=locked.organization_id,
            loan=locked,
            applied_on=today,
            amount=credit,
            mode=mode,
            old_rows=old_rows,
            new_rows=[_row(c) for c in created],
            created_by=actor,
        )
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor,
                "loan.prepaid",
                "loan",
                locked.pk,
                {
                    "amount": str(credit),
                    "mode": mode,
                    "cuotas_before": len(ahead),
                    "cuotas_after": len(new),
                    "cuota_before": str(first.total),
                    "cuota_after": str(new[0].total),
                    "schedule_change": change.pk,
                },
            ),
        )
    return change


__all__ = ["loan_prepay", "prepayment_schedule"]
