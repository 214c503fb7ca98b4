"""Reading loans: schedules, payments and the position recomputed from them."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from sozu.credit.allocation import CuotaDue, Payment, Position, allocate
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan, LoanProduct, PaymentFollower, PaymentReview, Repayment
from sozu.credit.references import loan_id_from_reference


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


def loan_find(*, organization_id: int, text: str) -> Loan:
    """The organization's loan named by a payment reference (SZ-…) or its number."""
    cleaned = (text or "").strip().lstrip("#")
    loan_id = int(cleaned) if cleaned.isdigit() else loan_id_from_reference(cleaned)
    loan = (
        Loan.objects.filter(organization_id=organization_id, pk=loan_id).first()
        if loan_id is not None and loan_id < 2**63
        else None
    )
    if loan is None:
        raise SozuError("review_loan_not_found", value=text)
    return loan


def payment_review_list(
    *, organization_id: int, status: str = PaymentReview.Status.PENDING, limit: int = 200
) -> list[PaymentReview]:
    reviews = PaymentReview.objects.filter(organization_id=organization_id).select_related(
        "loan", "loan__beneficiary", "refund_payout"
    )
    if status:
        reviews = reviews.filter(status=status)
    return list(reviews[:limit])


def payment_review_get(*, organization_id: int, review_id: int) -> PaymentReview:
    """The organization's review item; another organization's id is not found (404)."""
    review = PaymentReview.objects.filter(organization_id=organization_id, pk=review_id).first()
    if review is None:
        raise SozuError("not_found")
    return review


def payment_follower_state(*, organization_id: int) -> PaymentFollower | None:
    return PaymentFollower.objects.filter(organization_id=organization_id).first()
