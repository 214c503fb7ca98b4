"""Reads shared by reminders, groups, renewal and ranking: many loans' positions at once.

`positions_for` gives the same Position as `selectors.loan_position` (the same `allocate`
over the same rows) but reads every loan's cuotas and repayments in two queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sozu.credit.allocation import CuotaDue, Payment, Position, allocate
from sozu.credit.models import Cuota, Loan, Repayment

#: Loans that were paid out: they have a schedule.
DISBURSED = (Loan.Status.ACTIVE, Loan.Status.PAID_OFF, Loan.Status.WRITTEN_OFF)


def positions_for(loans: Iterable[Loan], as_of: dt.date) -> dict[int, Position]:
    """Each loan's position as of a day, by loan id (loans without a schedule are left out)."""
    by_id = {loan.pk: loan for loan in loans}
    if not by_id:
        return {}
    cuotas: dict[int, list[CuotaDue]] = defaultdict(list)
    for c in Cuota.objects.filter(loan_id__in=by_id).order_by("loan_id", "number"):
        cuotas[c.loan_id].append(
            CuotaDue(
                number=c.number,
                due_date=c.due_date,
                capital=c.capital,
                interest=c.interest,
                iva=c.iva,
                fees=c.fees,
            )
        )
    payments: dict[int, list[Payment]] = defaultdict(list)
    rows = (
        Repayment.objects.filter(
            loan_id__in=by_id, kind=Repayment.Kind.PAYMENT, reversal__isnull=True
        )
        .order_by("received_on", "id")
        .values_list("loan_id", "pk", "received_on", "amount")
    )
    for loan_id, pk, day, amount in rows:
        payments[loan_id].append(Payment(ref=pk, received_on=day, amount=amount))
    out: dict[int, Position] = {}
    for loan_id, schedule in cuotas.items():
        loan = by_id[loan_id]
        out[loan_id] = allocate(
            cuotas=schedule,
            payments=payments[loan_id],
            as_of=as_of,
            late_tna=loan.late_tna,
            iva=loan.iva,
            grace_days=loan.grace_days,
        )
    return out


def max_days_late(position: Position) -> int:
    """The most days any cuota was (or still is) late, as of the position's day."""
    return max((c.days_late(position.as_of) for c in position.cuotas), default=0)
