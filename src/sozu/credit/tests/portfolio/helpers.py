"""Disbursed loans with repayments, built through the services at frozen dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine

from sozu.credit.models import Loan, LoanProduct, Repayment
from sozu.credit.services import loan_mark_disbursed, repayment_record
from sozu.credit.tests.factories import draft_loan

BA = dt.timezone(dt.timedelta(hours=-3))
L = Loan.Status


def at(day: dt.date) -> Any:
    """Freeze the clock at 15:00 in Buenos Aires on `day`."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(15), tzinfo=BA), tick=False)


def active_loan(
    *,
    product: LoanProduct | None = None,
    paid_on: dt.date,
    amount: str = "1000",
    cuotas: int = 6,
    **kwargs: Any,
) -> Loan:
    """A loan paid out on `paid_on` (the schedule starts then)."""
    with at(paid_on):
        loan = draft_loan(product=product, amount=amount, cuotas=cuotas, **kwargs)
        Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING)
        paid_at = dt.datetime.combine(paid_on, dt.time(11), tzinfo=BA)
        return loan_mark_disbursed(loan=loan, paid_at=paid_at, actor="worker:1")


def pay(loan: Loan, amount: Decimal | str, day: dt.date, reference: str = "R-1") -> Repayment:
    with at(day):
        return repayment_record(
            loan=loan,
            amount=amount,
            received_on=day,
            method="cash",
            reference=reference,
            actor="user:3",
        )
