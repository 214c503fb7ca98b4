"""Reading loans: schedules, payments and the position recomputed from them."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from sozu.credit.allocation import CuotaDue, Payment, Position, allocate
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan, LoanProduct, Repayment


def loan_get(*, organization_id: int, loan_id: int) -> Loan:
    """The organization's loan; another organization's id is not found (404)."""
    loan = (
        Loan.objects.select_related("product", "beneficiary", "payout")
        .filter(organization_id=organization_id, pk=loan_id)
        .first()
    )
    if loan is None:
        raise SozuError("not_found")
    return loan


def loan_list(*, organization_id: int, status: str | None = None) -> QuerySet[Loan]:
    loans = Loan.objects.filter(organization_id=organization_id).select_related("beneficiary")
    return loans.filter(status=status) if status else loans


def loan_product_list(*, organization_id: int, active_only: bool = True) -> QuerySet[LoanProduct]:
    products = LoanProduct.objects.filter(organization_id=organization_id)
    return products.filter(active=True) if active_only else products


def loan_schedule(*, loan: Loan) -> list[CuotaDue]:
    return [
        CuotaDue(
            number=c.number,
            due_date=c.due_date,
            capital=c.capital,
            interest=c.interest,
            iva=c.iva,
            fees=c.fees,
        )
        for c in loan.schedule.order_by("number")
    ]


def loan_payments(*, loan: Loan) -> list[Payment]:
    """Her repayments that count: every payment row not reversed, in the order received."""
    rows = (
        Repayment.objects.filter(loan=loan, kind=Repayment.Kind.PAYMENT, reversal__isnull=True)
        .order_by("received_on", "id")
        .values_list("pk", "received_on", "amount")
    )
    return [Payment(ref=pk, received_on=day, amount=amount) for pk, day, amount in rows]


def loan_position(*, loan: Loan, as_of: dt.date | None = None) -> Position:
    """What she paid and owes, cuota by cuota, as of a day (today in the org's time zone)."""
    return allocate(
        cuotas=loan_schedule(loan=loan),
        payments=loan_payments(loan=loan),
        as_of=as_of or timezone.localdate(),
        late_tna=loan.late_tna,
        iva=loan.iva,
        grace_days=loan.grace_days,
    )
