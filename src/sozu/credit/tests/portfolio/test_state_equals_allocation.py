"""The derived LoanState always equals the allocation recomputed from the repayments.

Random loans (seeded) get random payments (on time, late, partial, early, overpaid) and
reversals through the services; after every change, and after the daily refresh on later days,
each stored row must equal `state_fields(loan_position(...))` computed afresh.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from sozu.credit.models import Loan, LoanState, PortfolioFlow
from sozu.credit.selectors import loan_payments, loan_position
from sozu.credit.services import loan_write_off, repayment_reverse
from sozu.credit.services.portfolio import (
    STATE_FIELDS,
    loan_state_refresh,
    loan_states_refresh,
    portfolio_flows_compute,
    state_fields,
)
from sozu.credit.tests.factories import LoanProductFactory

from .helpers import active_loan, at, pay

pytestmark = pytest.mark.django_db
L = Loan.Status
START = dt.date(2026, 2, 2)


def recomputed(loan: Loan, as_of: dt.date) -> dict[str, Any]:
    loan.refresh_from_db()
    fields = state_fields(
        position=loan_position(loan=loan, as_of=as_of),
        payments=loan_payments(loan=loan),
        organization_id=loan.organization_id,
    )
    if loan.status != L.ACTIVE:
        fields["next_change_on"] = None
    return fields


def stored(loan: Loan) -> dict[str, Any]:
    state = LoanState.objects.get(loan=loan)
    return {name: getattr(state, name) for name in STATE_FIELDS}


def stored_flows() -> dict[tuple[Any, ...], dict[str, Any]]:
    return {
        (f.organization_id, f.day, f.product_id, f.officer): {
            "disbursed": f.disbursed,
            "disbursed_count": f.disbursed_count,
            "due": f.due,
            "collected": f.collected,
        }
        for f in PortfolioFlow.objects.all()
        if f.disbursed or f.disbursed_count or f.due or f.collected
    }


def assert_equal(loan: Loan, as_of: dt.date) -> None:
    """Equal on every figure; a row the daily job skipped keeps its older `as_of`, which is
    right as long as its `next_change_on` has not come."""
    row, fresh = stored(loan), recomputed(loan, as_of)
    assert row.pop("as_of") <= fresh.pop("as_of")
    assert row == fresh, f"loan {loan.pk} as of {as_of}"
    assert row["next_change_on"] is None or row["next_change_on"] > as_of


@pytest.mark.parametrize("seed", range(6))
def test_random_loans_state_equals_a_recomputation(seed: int) -> None:
    rnd = random.Random(seed)
    product = LoanProductFactory.create(
        frequency=rnd.choice(["weekly", "biweekly", "monthly"]),
        system=rnd.choice(["french", "german", "flat"]),
        grace_days=rnd.choice([0, 3]),
        late_tna=Decimal(rnd.choice(["0", "73", "120"])),
    )
    loans = [
        active_loan(
            product=product,
            paid_on=START + dt.timedelta(days=rnd.randint(0, 20)),
            amount=str(rnd.randint(100, 1500)),
            cuotas=rnd.randint(2, 8),
        )
        for _ in range(3)
    ]
    day = START + dt.timedelta(days=25)
    end = START + dt.timedelta(days=320)
    for loan in loans:
        assert loan.disbursed_on is not None
        assert_equal(loan, loan.disbursed_on)
    while day < end:
        loan = rnd.choice(loans)
        loan.refresh_from_db()
        cuota = loan.schedule.order_by("number")[rnd.randint(0, loan.cuotas - 1)]
        if loan.status == L.ACTIVE:
            amount = (cuota.total * Decimal(rnd.choice(["0.5", "1", "1", "1.3", "3"]))).quantize(
                Decimal("0.01")
            )
            repayment = pay(loan, amount, day, f"R-{day}")
            assert_equal(loan, day)
            if rnd.random() < 0.15:
                with at(day):
                    repayment_reverse(repayment=repayment, actor="user:3", reason="error")
                assert_equal(loan, day)
        day += dt.timedelta(days=rnd.randint(3, 40))
        # The daily job on that day: every row whose figures moved is recomputed.
        loan_states_refresh(as_of=day)
        for other in loans:
            other.refresh_from_db()
            if other.status == L.ACTIVE:
                assert_equal(other, day)
    # The daily flows kept event by event equal a recomputation from the truth tables.
    assert stored_flows() == portfolio_flows_compute()
    # A full rebuild gives the same rows again.
    loan_states_refresh(as_of=day, everything=True)
    for loan in loans:
        loan.refresh_from_db()
        if loan.status == L.ACTIVE:
            assert_equal(loan, day)


def test_a_stale_row_is_recomputed_by_the_daily_refresh_only_when_due() -> None:
    loan = active_loan(paid_on=START, amount="1000", cuotas=3)
    first = loan.schedule.order_by("number").first()
    assert first is not None
    state = LoanState.objects.get(loan=loan)
    assert state.next_change_on == first.due_date and state.days_past_due == 0
    # Before the first due date nothing changes: the job skips the loan.
    assert loan_states_refresh(as_of=first.due_date - dt.timedelta(days=1)) == 0
    later = first.due_date + dt.timedelta(days=40)
    assert loan_states_refresh(as_of=later) == 1
    state.refresh_from_db()
    assert state.days_past_due == 40 and state.late_interest > 0 and state.overdue > first.total
    assert_equal(loan, later)
    assert state.next_change_on == later + dt.timedelta(days=1)


def test_a_written_off_loan_is_frozen_on_the_day_it_was_written_off() -> None:
    loan = active_loan(paid_on=START, amount="1000", cuotas=3)
    day = START + dt.timedelta(days=100)
    with at(day):
        loan_write_off(loan=loan, actor="user:2", reason="incobrable")
    state = LoanState.objects.get(loan=loan)
    assert state.as_of == day and state.next_change_on is None
    loan_states_refresh(as_of=day + dt.timedelta(days=30), everything=True)
    state.refresh_from_db()
    assert state.as_of == day
    assert_equal(loan, day)


def test_a_loan_without_schedule_has_no_state() -> None:
    loan = active_loan(paid_on=START)
    Loan.objects.filter(pk=loan.pk).update(status=L.CANCELLED)
    loan.refresh_from_db()
    assert loan_state_refresh(loan=loan) is None
    assert not LoanState.objects.filter(loan=loan).exists()
