"""Loan states: only the table's transitions, maker-checker, and the payout decides activation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.factories import PayoutFactory

from sozu.audit.models import AuditEvent
from sozu.audit.services import audit_verify_chain
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan
from sozu.credit.services import (
    ExchangeRate,
    loan_approve,
    loan_cancel,
    loan_mark_disbursed,
    loan_return,
    loan_submit,
    loan_write_off,
    loans_sync_disbursements,
)
from sozu.credit.tests.factories import LoanProductFactory, draft_loan
from sozu.credit.transitions import LOAN_TRANSITIONS
from sozu.disbursements.models import Payout

pytestmark = pytest.mark.django_db
L = Loan.Status
BA = dt.timezone(dt.timedelta(hours=-3))


def disbursing(loan: Loan, *, payout_status: str = Payout.Status.QUEUED, paid_at=None) -> Loan:
    """Arrange: a loan whose payout the engine created (as loan_approve does on the network)."""
    payout = PayoutFactory.create(
        organization=loan.organization,
        beneficiary=loan.beneficiary,
        amount=loan.amount,
        status=payout_status,
        paid_at=paid_at,
    )
    Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING, payout=payout)
    loan.refresh_from_db()
    return loan


def test_the_preparer_cannot_approve_and_nothing_changes() -> None:
    loan = loan_submit(loan=draft_loan(actor="user:1"), actor="user:1")
    assert loan.status == L.PENDING_APPROVAL

    with pytest.raises(SozuError) as exc:
        loan_approve(loan=loan, actor="user:1")

    assert exc.value.code == "loan_approver_is_preparer" and exc.value.status == 403
    loan.refresh_from_db()
    assert (loan.status, loan.approved_by, loan.payout_id) == (L.PENDING_APPROVAL, "", None)
    assert not Payout.objects.exists()
    assert not AuditEvent.objects.filter(action="loan.approved").exists()


def test_a_draft_cannot_be_approved_before_it_is_submitted() -> None:
    loan = draft_loan()
    with pytest.raises(SozuError) as exc:
        loan_approve(loan=loan, actor="user:2")
    assert exc.value.code == "loan_invalid_transition"
    loan.refresh_from_db()
    assert loan.status == L.DRAFT and not Payout.objects.exists()


def test_an_ars_loan_is_not_approved_without_the_exchange_rate_used() -> None:
    loan = draft_loan(
        product=LoanProductFactory.create(currency="ARS", max_amount=Decimal("900000"))
    )
    loan_submit(loan=loan, actor="user:1")
    with pytest.raises(SozuError) as exc:
        loan_approve(loan=loan, actor="user:2")
    assert exc.value.code == "loan_exchange_rate_missing"
    with pytest.raises(SozuError) as exc:
        loan_approve(
            loan=loan,
            actor="user:2",
            exchange_rate=ExchangeRate(Decimal(0), "criptoya", timezone.now()),
        )
    assert exc.value.code == "loan_exchange_rate_invalid"
    loan.refresh_from_db()
    assert loan.status == L.PENDING_APPROVAL and loan.exchange_rate is None


def test_returned_and_cancelled_loans_follow_the_table_and_are_audited() -> None:
    loan = loan_submit(loan=draft_loan(), actor="user:1")
    loan = loan_return(loan=loan, actor="user:2", reason="Falta el garante")
    assert loan.status == L.DRAFT
    loan = loan_cancel(loan=loan, actor="user:1", reason="Ya no lo necesita")
    assert loan.status == L.CANCELLED
    with pytest.raises(SozuError) as exc:
        loan_submit(loan=loan, actor="user:1")
    assert exc.value.code == "loan_invalid_transition"
    actions = list(
        AuditEvent.objects.filter(object_type="loan", object_id=str(loan.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["loan.prepared", "loan.submitted", "loan.returned", "loan.cancelled"]
    assert audit_verify_chain(organization_id=loan.organization_id) is None


def test_every_status_is_reachable_and_final_ones_lead_nowhere() -> None:
    targets = {to for _, to in LOAN_TRANSITIONS}
    assert targets | {L.DRAFT} == set(L.values)
    sources = {frm for frm, _ in LOAN_TRANSITIONS}
    assert sources.isdisjoint({L.WRITTEN_OFF, L.CANCELLED})


def test_a_loan_becomes_active_only_when_its_payout_is_paid() -> None:
    waiting = disbursing(draft_loan())
    # Paid at 23:30 in Buenos Aires on 2026-01-30 (already the 31st in UTC).
    paid_at = dt.datetime(2026, 1, 30, 23, 30, tzinfo=BA)
    paid = disbursing(draft_loan(cuotas=4), payout_status=Payout.Status.PAID, paid_at=paid_at)

    assert loans_sync_disbursements() == 1

    waiting.refresh_from_db()
    paid.refresh_from_db()
    assert waiting.status == L.DISBURSING and not waiting.schedule.exists()
    assert paid.status == L.ACTIVE
    assert paid.disbursed_on == dt.date(2026, 1, 30)
    schedule = list(paid.schedule.order_by("number"))
    # Monthly from the 30th: Feb has no 30th (28th, a Saturday → Monday Mar 2), then the 30th.
    assert [(c.nominal_date, c.due_date) for c in schedule] == [
        (dt.date(2026, 2, 28), dt.date(2026, 3, 2)),
        (dt.date(2026, 3, 30), dt.date(2026, 3, 30)),
        (dt.date(2026, 4, 30), dt.date(2026, 4, 30)),
        (dt.date(2026, 5, 30), dt.date(2026, 6, 1)),
    ]
    assert sum(c.capital for c in schedule) == paid.amount
    assert schedule[-1].balance == 0
    assert loans_sync_disbursements() == 0  # nothing left to do; never twice
    assert paid.schedule.count() == 4
    assert AuditEvent.objects.filter(action="loan.disbursed", object_id=str(paid.pk)).count() == 1


def test_a_cancelled_payout_sends_the_loan_back_to_approved() -> None:
    loan = disbursing(draft_loan(), payout_status=Payout.Status.CANCELLED)
    assert loans_sync_disbursements() == 1
    loan.refresh_from_db()
    assert (loan.status, loan.payout_id) == (L.APPROVED, None)


def test_marking_disbursed_twice_is_refused_and_keeps_one_schedule() -> None:
    loan = disbursing(draft_loan())
    when = dt.datetime(2026, 7, 1, 12, tzinfo=BA)
    loan_mark_disbursed(loan=loan, paid_at=when, actor="worker:1")
    with pytest.raises(SozuError) as exc:
        loan_mark_disbursed(loan=loan, paid_at=when, actor="worker:2")
    assert exc.value.code == "loan_invalid_transition"
    assert loan.schedule.count() == 6


def test_write_off_needs_a_reason_and_an_active_loan() -> None:
    loan = disbursing(draft_loan())
    with pytest.raises(SozuError):
        loan_write_off(loan=loan, actor="user:2", reason="Incobrable")
    loan_mark_disbursed(loan=loan, paid_at=dt.datetime(2026, 7, 1, tzinfo=BA), actor="w")
    with pytest.raises(SozuError) as exc:
        loan_write_off(loan=loan, actor="user:2", reason=" ")
    assert exc.value.code == "invalid_field"
    assert loan_write_off(loan=loan, actor="user:2", reason="Incobrable").status == L.WRITTEN_OFF
