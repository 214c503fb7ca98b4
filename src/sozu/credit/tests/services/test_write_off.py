"""Write-off: asked for by one person with a reason, approved by another (maker-checker)."""

from __future__ import annotations

import pytest

from sozu.audit.models import AuditEvent
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan
from sozu.credit.services import (
    loan_write_off_approve,
    loan_write_off_request,
    loan_write_off_withdraw,
)
from sozu.credit.tests.factories import draft_loan

pytestmark = pytest.mark.django_db
L = Loan.Status


def active() -> Loan:
    loan = draft_loan()
    Loan.objects.filter(pk=loan.pk).update(status=L.ACTIVE)
    loan.refresh_from_db()
    return loan


def test_asked_by_one_approved_by_another() -> None:
    loan = loan_write_off_request(loan=active(), actor="user:2", reason="Se mudó, sin contacto")
    assert (loan.status, loan.write_off_requested_by) == (L.ACTIVE, "user:2")

    with pytest.raises(SozuError) as exc:
        loan_write_off_approve(loan=loan, actor="user:2")
    assert exc.value.code == "loan_write_off_same_person"
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE

    loan = loan_write_off_approve(loan=loan, actor="user:3")
    assert loan.status == L.WRITTEN_OFF
    event = AuditEvent.objects.get(action="loan.written_off")
    assert event.data["requested_by"] == "user:2" and event.data["reason"].startswith("Se mudó")
    assert AuditEvent.objects.filter(action="loan.write_off_requested").count() == 1


def test_a_reason_and_a_request_are_needed() -> None:
    loan = active()
    with pytest.raises(SozuError) as exc:
        loan_write_off_request(loan=loan, actor="user:2", reason="  ")
    assert exc.value.code == "loan_write_off_reason_missing"
    with pytest.raises(SozuError) as exc:
        loan_write_off_approve(loan=loan, actor="user:3")
    assert exc.value.code == "loan_write_off_not_requested"
    loan_write_off_request(loan=loan, actor="user:2", reason="Incobrable")
    with pytest.raises(SozuError) as exc:
        loan_write_off_request(loan=loan, actor="user:4", reason="Otra vez")
    assert exc.value.code == "loan_write_off_already_requested"
    loan = loan_write_off_withdraw(loan=loan, actor="user:3")
    assert loan.write_off_requested_by == "" and loan.status == L.ACTIVE


def test_only_active_loans_are_written_off() -> None:
    with pytest.raises(SozuError) as exc:
        loan_write_off_request(loan=draft_loan(), actor="user:2", reason="x")
    assert exc.value.code == "loan_invalid_transition"
