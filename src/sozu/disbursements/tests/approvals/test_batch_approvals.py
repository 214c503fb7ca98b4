"""Maker-checker: an operator prepares a batch, others approve it; the preparer never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation
from tests.factories import BatchFactory, OrganizationFactory

from sozu.audit.models import AuditEvent
from sozu.audit.services import audit_verify_chain
from sozu.disbursements.models import Batch, BatchApproval
from sozu.disbursements.selectors import batch_approvals
from sozu.disbursements.services.approvals import (
    batch_approval_problem,
    batch_approvals_void,
    batch_approve,
    batch_check_approved,
    batch_is_approved,
    batch_schedule,
    batch_submit_for_approval,
    batches_due_for_execution,
)
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def submitted(required: int = 1, scheduled_for: datetime | None = None) -> Batch:
    org = OrganizationFactory.create(batch_approvals_required=required)
    batch = BatchFactory.create(organization=org, created_by="user:1")
    return batch_submit_for_approval(
        organization=org, batch_id=batch.pk, actor="user:1", scheduled_for=scheduled_for
    )


def test_a_submitted_batch_copies_the_policy_and_is_approved_by_another_person() -> None:
    batch = submitted(required=1)
    assert (batch.prepared_by, batch.required_approvals) == ("user:1", 1)
    assert not batch_is_approved(batch)

    batch_approve(organization=batch.organization, batch_id=batch.pk, actor="user:2")

    assert batch_is_approved(batch)
    batch_check_approved(batch)  # does not raise
    assert [(e.actor, e.action) for e in AuditEvent.objects.order_by("seq")] == [
        ("user:1", "batch.submitted"),
        ("user:2", "batch.approved"),
    ]
    assert audit_verify_chain(organization_id=batch.organization_id) is None


def test_the_preparer_cannot_approve_and_nothing_is_recorded() -> None:
    batch = submitted()

    with pytest.raises(SozuError) as exc, translation.override("es"):
        batch_approve(organization=batch.organization, batch_id=batch.pk, actor="user:1")

    assert exc.value.code == "batch_approver_is_preparer"
    assert exc.value.message == (
        "Quien preparó un lote no puede aprobarlo; tiene que aprobarlo otra persona."
    )
    assert not BatchApproval.objects.exists()
    assert not batch_is_approved(batch)


def test_whoever_submitted_someone_elses_batch_cannot_approve_it_either() -> None:
    org = OrganizationFactory.create()
    batch = BatchFactory.create(organization=org, created_by="api:abc")
    batch_submit_for_approval(organization=org, batch_id=batch.pk, actor="user:5")
    for preparer in ("api:abc", "user:5"):
        with pytest.raises(SozuError) as exc:
            batch_approve(organization=org, batch_id=batch.pk, actor=preparer)
        assert exc.value.code == "batch_approver_is_preparer"


def test_two_approvals_needed_the_same_person_cannot_give_both() -> None:
    batch = submitted(required=2)
    org = batch.organization
    batch_approve(organization=org, batch_id=batch.pk, actor="user:2")

    with pytest.raises(SozuError) as exc:
        batch_approve(organization=org, batch_id=batch.pk, actor="user:2")
    assert exc.value.code == "batch_already_approved_by_you"
    assert not batch_is_approved(batch)
    with pytest.raises(SozuError) as exc, translation.override("es"):
        batch_check_approved(batch)
    assert exc.value.message == "Este lote tiene 1 de las 2 aprobaciones que necesita."

    batch_approve(organization=org, batch_id=batch.pk, actor="user:3")

    assert batch_is_approved(batch)
    with pytest.raises(SozuError) as exc:
        batch_approve(organization=org, batch_id=batch.pk, actor="user:4")
    assert exc.value.code == "batch_already_approved"
    assert BatchApproval.objects.count() == 2


def test_a_later_policy_change_does_not_change_a_submitted_batch() -> None:
    batch = submitted(required=1)
    batch.organization.batch_approvals_required = 3
    batch.organization.save()
    batch_approve(organization=batch.organization, batch_id=batch.pk, actor="user:2")
    assert batch_is_approved(batch)


def test_a_batch_must_be_submitted_once_and_validated_to_be_approved() -> None:
    org = OrganizationFactory.create()
    batch = BatchFactory.create(organization=org)
    with pytest.raises(SozuError) as exc:
        batch_approve(organization=org, batch_id=batch.pk, actor="user:2")
    assert exc.value.code == "batch_not_submitted"

    batch_submit_for_approval(organization=org, batch_id=batch.pk, actor="user:1")
    with pytest.raises(SozuError) as exc:
        batch_submit_for_approval(organization=org, batch_id=batch.pk, actor="user:1")
    assert exc.value.code == "batch_already_submitted"

    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CANCELLED)
    with pytest.raises(SozuError) as exc, translation.override("es"):
        batch_approve(organization=org, batch_id=batch.pk, actor="user:2")
    assert exc.value.message == "No se puede aprobar un lote que está cancelado."


def test_another_organizations_batch_is_not_found() -> None:
    batch = submitted()
    other = OrganizationFactory.create()
    for call in (batch_approve, batch_submit_for_approval):
        with pytest.raises(SozuError) as exc:
            call(organization=other, batch_id=batch.pk, actor="user:9")
        assert exc.value.code == "not_found"
    assert not BatchApproval.objects.exists()


def test_a_change_after_approval_voids_it_and_the_batch_needs_approving_again() -> None:
    batch = submitted()
    org = batch.organization
    batch_approve(organization=org, batch_id=batch.pk, actor="user:2")

    voided = batch_approvals_void(batch, "line 3 removed", actor="user:1")

    assert voided == 1
    assert not batch_is_approved(batch)
    approval = BatchApproval.objects.get()
    assert (approval.void_reason, approval.voided_at is not None) == ("line 3 removed", True)
    event = AuditEvent.objects.get(action="batch.approvals_voided")
    assert event.data == {"reason": "line 3 removed", "voided": 1}
    # The same person may approve the changed batch.
    batch_approve(organization=org, batch_id=batch.pk, actor="user:2")
    assert batch_is_approved(batch)


def test_rescheduling_voids_approvals() -> None:
    batch = submitted(scheduled_for=NOW)
    batch_approve(organization=batch.organization, batch_id=batch.pk, actor="user:2")

    batch_schedule(
        organization=batch.organization,
        batch_id=batch.pk,
        scheduled_for=NOW + timedelta(days=1),
        actor="user:1",
    )

    assert not batch_is_approved(batch)
    assert AuditEvent.objects.filter(action="batch.scheduled").count() == 1


def test_a_naive_schedule_is_refused() -> None:
    org = OrganizationFactory.create()
    batch = BatchFactory.create(organization=org)
    with pytest.raises(SozuError) as exc:
        batch_submit_for_approval(
            organization=org, batch_id=batch.pk, actor="u", scheduled_for=datetime(2026, 3, 2)
        )
    assert exc.value.code == "invalid_field"
    batch.refresh_from_db()
    assert batch.submitted_at is None


def test_only_approved_batches_whose_time_has_come_are_due() -> None:
    due = submitted(scheduled_for=NOW - timedelta(minutes=1))
    batch_approve(organization=due.organization, batch_id=due.pk, actor="user:2")
    later = submitted(scheduled_for=NOW + timedelta(minutes=1))
    batch_approve(organization=later.organization, batch_id=later.pk, actor="user:2")
    unapproved = submitted(scheduled_for=NOW - timedelta(hours=1))
    unscheduled = submitted()
    batch_approve(organization=unscheduled.organization, batch_id=unscheduled.pk, actor="u:2")
    voided = submitted(scheduled_for=NOW - timedelta(hours=1))
    batch_approve(organization=voided.organization, batch_id=voided.pk, actor="user:2")
    batch_approvals_void(voided, "changed")
    half = submitted(required=2, scheduled_for=NOW - timedelta(hours=1))
    batch_approve(organization=half.organization, batch_id=half.pk, actor="user:2")

    assert [b.pk for b in batches_due_for_execution(NOW)] == [due.pk]
    assert unapproved.pk not in [b.pk for b in batches_due_for_execution(NOW + timedelta(days=9))]


def test_the_page_can_ask_who_may_approve_and_list_approvals_with_voided_ones() -> None:
    batch = submitted()
    org = batch.organization
    assert batch_approval_problem(batch, "user:1") == "batch_approver_is_preparer"
    assert batch_approval_problem(batch, "user:2") is None
    batch_approve(organization=org, batch_id=batch.pk, actor="user:2")
    batch_approvals_void(batch, "changed")
    batch_approve(organization=org, batch_id=batch.pk, actor="user:3")

    assert batch_approval_problem(batch, "user:4") == "batch_already_approved"
    assert [(a.approver, a.void_reason) for a in batch_approvals(batch=batch)] == [
        ("user:2", "changed"),
        ("user:3", ""),
    ]
