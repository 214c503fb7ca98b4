"""Applied → approved or rejected (with a reason) → inactive: each step allowed or refused."""

from __future__ import annotations

import pytest
from django.utils import translation
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.audit.services import audit_verify_chain
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import (
    beneficiary_approve,
    beneficiary_deactivate,
    beneficiary_reactivate,
    beneficiary_reject,
    beneficiary_reopen,
)
from sozu.beneficiaries.transitions import BENEFICIARY_TRANSITIONS
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db
S = Beneficiary.Status


def test_an_approved_beneficiary_can_be_deactivated_and_reactivated_each_step_audited() -> None:
    b = BeneficiaryFactory.create(status=S.APPLIED)

    beneficiary_approve(beneficiary=b, actor="user:2")
    beneficiary_deactivate(beneficiary=b, actor="user:3", reason="se mudó")
    b = beneficiary_reactivate(beneficiary=b, actor="user:2")

    assert b.status == S.APPROVED
    events = AuditEvent.objects.filter(object_type="beneficiary", object_id=str(b.pk))
    assert [(e.actor, e.action, e.data["from"], e.data["to"]) for e in events] == [
        ("user:2", "beneficiary.approved", "applied", "approved"),
        ("user:3", "beneficiary.deactivated", "approved", "inactive"),
        ("user:2", "beneficiary.reactivated", "inactive", "approved"),
    ]
    assert events[1].data["reason"] == "se mudó"
    assert audit_verify_chain(organization_id=b.organization_id) is None


def test_a_rejection_needs_a_reason_and_keeps_it() -> None:
    b = BeneficiaryFactory.create(status=S.APPLIED)

    with pytest.raises(SozuError) as exc:
        beneficiary_reject(beneficiary=b, reason="  ", actor="user:2")
    assert exc.value.code == "rejection_reason_missing"
    b.refresh_from_db()
    assert b.status == S.APPLIED

    beneficiary_reject(beneficiary=b, reason="Documentación incompleta", actor="user:2")

    b.refresh_from_db()
    assert (b.status, b.rejection_reason) == (S.REJECTED, "Documentación incompleta")
    event = AuditEvent.objects.get(action="beneficiary.rejected")
    assert event.data["reason"] == "Documentación incompleta"


def test_a_rejected_application_can_be_reopened_and_then_approved() -> None:
    b = BeneficiaryFactory.create(status=S.REJECTED, rejection_reason="falta DNI")
    beneficiary_reopen(beneficiary=b, actor="user:2")
    b = beneficiary_approve(beneficiary=b, actor="user:2")
    assert (b.status, b.rejection_reason) == (S.APPROVED, "")


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.REJECTED, beneficiary_approve),
        (S.INACTIVE, beneficiary_approve),  # the way back from inactive is "reactivate"
        (S.APPROVED, beneficiary_approve),
        (S.APPLIED, beneficiary_deactivate),
        (S.APPROVED, beneficiary_reopen),
    ],
)
def test_transitions_outside_the_table_are_refused_and_change_nothing(status, action) -> None:
    b = BeneficiaryFactory.create(status=status)

    with pytest.raises(SozuError) as exc:
        action(beneficiary=b, actor="user:2")

    assert exc.value.code == "beneficiary_invalid_transition"
    b.refresh_from_db()
    assert b.status == status
    assert not AuditEvent.objects.exists()


def test_the_refusal_reads_in_spanish() -> None:
    b = BeneficiaryFactory.create(status=S.REJECTED)
    with pytest.raises(SozuError) as exc:
        beneficiary_approve(beneficiary=b, actor="user:2")
    with translation.override("es"):
        assert exc.value.message == "Una beneficiaria rechazada no puede pasar a aprobada."


def test_the_table_names_every_status() -> None:
    used = {s for pair in BENEFICIARY_TRANSITIONS for s in pair}
    assert used == set(S.values)
