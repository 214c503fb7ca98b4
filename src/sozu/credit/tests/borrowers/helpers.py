"""Active loans for the borrowers' tests, made through the real services at a frozen time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine
from tests.factories import BeneficiaryFactory

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.models import Cuota, Loan, LoanProduct, Repayment
from sozu.credit.selectors import loan_position
from sozu.credit.services import loan_mark_disbursed, loan_prepare, repayment_record
from sozu.credit.tests.factories import LoanProductFactory

BA = dt.timezone(dt.timedelta(hours=-3))
L = Loan.Status


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment of that day in Buenos Aires."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BA)


def active_loan(
    *,
    beneficiary: Beneficiary | None = None,
    product: LoanProduct | None = None,
    paid_out: dt.date = dt.date(2026, 3, 2),
    amount: str = "1000",
    cuotas: int = 2,
) -> Loan:
    """A loan prepared, then marked paid out on `paid_out` (its schedule starts there)."""
    product = product or LoanProductFactory.create()
    beneficiary = beneficiary or BeneficiaryFactory.create(organization=product.organization)
    with time_machine.travel(at(paid_out), tick=False):
        loan = loan_prepare(
            product=product, beneficiary=beneficiary, amount=amount, cuotas=cuotas, actor="user:1"
        )
        Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING)
        return loan_mark_disbursed(loan=loan, paid_at=at(paid_out), actor="worker:1")


def pay(loan: Loan, amount: Decimal | str, day: dt.date, reference: str = "R") -> Repayment:
    with time_machine.travel(at(day, 15), tick=False):
        return repayment_record(
            loan=loan,
            amount=amount,
            received_on=day,
            method="cash",
            reference=f"{reference}-{loan.pk}-{day.isoformat()}",
            actor="user:3",
        )


def cuotas(loan: Loan) -> list[Cuota]:
    return list(loan.schedule.order_by("number"))


def pay_all(loan: Loan, *, days_late: int = 0, **kwargs: Any) -> None:
    """Pay every cuota, each `days_late` days after its due date (late interest is covered)."""
    for cuota in cuotas(loan):
        day = cuota.due_date + dt.timedelta(days=days_late)
        position = loan_position(loan=loan, as_of=day)
        state = position.cuotas[cuota.number - 1]
        pay(loan, state.outstanding, day, **kwargs)
