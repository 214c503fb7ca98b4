"""Her credit applied as a prepayment: the remaining cuotas re-scheduled, with the numbers."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest
import time_machine

from sozu.audit.models import AuditEvent
from sozu.credit.errors import SozuError
from sozu.credit.models import Cuota, Loan, ScheduleChange
from sozu.credit.selectors import loan_position
from sozu.credit.services import loan_mark_disbursed, loan_prepay, repayment_record
from sozu.credit.tests.factories import LoanProductFactory, draft_loan

pytestmark = pytest.mark.django_db
L = Loan.Status
BA = dt.timezone(dt.timedelta(hours=-3))
PAID_OUT = dt.datetime(2026, 3, 2, 11, 0, tzinfo=BA)
RATE = 0.05  # TNA 60 % / 12


def cents(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def active_loan(mode: str) -> Loan:
    """1000 USDC, 6 monthly French cuotas, TNA 60 %, IVA 21 %, no insurance."""
    with time_machine.travel(PAID_OUT, tick=False):
        product = LoanProductFactory.create(prepayment=mode)
        loan = draft_loan(product=product, amount="1000", cuotas=6)
        Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING)
        return loan_mark_disbursed(loan=loan, paid_at=PAID_OUT, actor="worker:1")


def at(day: dt.date) -> time_machine.travel:
    return time_machine.travel(dt.datetime.combine(day, dt.time(15), tzinfo=BA), tick=False)


def overpay_first_cuota(loan: Loan, extra: str) -> tuple[Cuota, list[Cuota]]:
    rows = list(loan.schedule.order_by("number"))
    first = rows[0]
    with at(first.due_date):
        repayment_record(
            loan=loan,
            amount=first.total + Decimal(extra),
            received_on=first.due_date,
            method="cash",
            reference="R-1",
            actor="user:3",
        )
    return first, rows[1:]


def test_reduce_cuota_keeps_the_five_cuotas_and_lowers_each_by_the_french_formula() -> None:
    loan = active_loan("reduce_cuota")
    first, ahead = overpay_first_cuota(loan, "300")
    left = first.balance - Decimal("300")
    with at(first.due_date):
        assert loan_position(loan=loan).credit == Decimal("300")
        change = loan_prepay(loan=loan, actor="user:3")

    rows = list(loan.schedule.order_by("number"))
    prepaid, new = rows[1], rows[2:]
    assert (prepaid.kind, prepaid.capital, prepaid.due_date) == ("prepayment", 300, first.due_date)
    assert len(new) == 5
    # Independent reference: numpy-financial's payment on the capital left at 5 % a month.
    pmt = cents(npf.pmt(RATE, 5, -float(left)))
    assert new[0].interest == cents(float(left) * RATE)
    assert new[0].capital + new[0].interest == pmt
    assert new[0].total < ahead[0].total
    assert sum(c.capital for c in new) == left and new[-1].balance == 0
    # Same due dates as the cuotas they replace.
    assert [c.due_date for c in new] == [c.due_date for c in ahead]
    # The old schedule is kept as it was.
    assert change.amount == Decimal("300") and change.mode == "reduce_cuota"
    assert [r["total"] for r in change.old_rows] == [str(c.total) for c in ahead]
    with at(first.due_date):
        position = loan_position(loan=loan)
    assert position.credit == 0
    assert position.outstanding_capital == left
    assert position.days_past_due == 0
    event = AuditEvent.objects.get(action="loan.prepaid")
    assert event.data["cuotas_before"] == 5 and event.data["cuotas_after"] == 5


def test_reduce_term_keeps_the_cuota_and_drops_cuotas() -> None:
    loan = active_loan("reduce_term")
    first, ahead = overpay_first_cuota(loan, "400")
    left = first.balance - Decimal("400")
    with at(first.due_date):
        loan_prepay(loan=loan, actor="user:3")

    new = [c for c in loan.schedule.order_by("number") if c.kind == "cuota"][1:]
    # The fewest cuotas whose first total (capital + interest + IVA on it) is not above the old.
    expected = next(
        n
        for n in range(1, 6)
        if cents(npf.pmt(RATE, n, -float(left)))
        + cents(cents(float(left) * RATE) * Decimal("0.21"))
        <= ahead[0].total
    )
    assert len(new) == expected == 3
    assert new[0].total <= ahead[0].total
    assert sum(c.capital for c in new) == left and new[-1].balance == 0
    assert [c.due_date for c in new] == [c.due_date for c in ahead[:expected]]


def test_paying_the_new_schedule_pays_the_loan_off() -> None:
    loan = active_loan("reduce_term")
    first, _ = overpay_first_cuota(loan, "400")
    with at(first.due_date):
        loan_prepay(loan=loan, actor="user:3")
    for c in loan.schedule.filter(kind="cuota", due_date__gt=first.due_date).order_by("number"):
        with at(c.due_date):
            repayment_record(
                loan=loan,
                amount=c.total,
                received_on=c.due_date,
                method="transfer",
                reference=f"T-{c.number}",
                actor="user:3",
            )
    loan.refresh_from_db()
    assert loan.status == L.PAID_OFF


def test_without_credit_nothing_is_rescheduled() -> None:
    loan = active_loan("reduce_term")
    before = list(loan.schedule.values_list("pk", "total"))
    assert loan.disbursed_on is not None
    with at(loan.disbursed_on + dt.timedelta(days=3)), pytest.raises(SozuError) as exc:
        loan_prepay(loan=loan, actor="user:3")
    assert exc.value.code == "loan_prepayment_no_credit"
    assert list(loan.schedule.values_list("pk", "total")) == before
    assert not ScheduleChange.objects.exists()
