"""Two approvers clicking at the same moment: the batch row lock counts them one at a time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from tests.factories import BatchFactory, OrganizationFactory

from sozu.disbursements.models import BatchApproval
from sozu.disbursements.services.approvals import batch_approve, batch_submit_for_approval
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db(transaction=True)


def race(org, batch_id: int, actors: list[str]) -> list[str]:
    barrier = threading.Barrier(len(actors))
    outcomes: list[str] = []

    def approve(actor: str) -> None:
        try:
            barrier.wait()
            batch_approve(organization=org, batch_id=batch_id, actor=actor)
            outcomes.append("approved")
        except SozuError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def test_one_approval_needed_two_people_at_once_only_one_counts() -> None:
    org = OrganizationFactory.create(batch_approvals_required=1)
    batch = BatchFactory.create(organization=org, created_by="user:1")
    batch_submit_for_approval(organization=org, batch_id=batch.pk, actor="user:1")

    outcomes = race(org, batch.pk, ["user:2", "user:3"])

    assert outcomes == ["approved", "batch_already_approved"]
    assert BatchApproval.objects.filter(batch=batch).count() == 1


def test_the_same_person_double_clicking_approves_once() -> None:
    org = OrganizationFactory.create(batch_approvals_required=2)
    batch = BatchFactory.create(organization=org, created_by="user:1")
    batch_submit_for_approval(organization=org, batch_id=batch.pk, actor="user:1")

    outcomes = race(org, batch.pk, ["user:2", "user:2", "user:2"])

    assert outcomes == [
        "approved",
        "batch_already_approved_by_you",
        "batch_already_approved_by_you",
    ]
    assert BatchApproval.objects.filter(batch=batch).count() == 1
