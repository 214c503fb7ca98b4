"""The worker's scheduler step: an approved batch scheduled for now starts paying."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services.approvals import (
    batch_approve,
    batch_submit_for_approval,
    batches_execute_due,
)
from sozu.disbursements.services.batches import batch_create
from sozu.orgs.tests.cli_helpers import run_sozu

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_due_approved_batch_is_executed_and_a_future_one_waits(make_org, make_recipient):
    org = make_org(usdc="100", channels=1)
    now = timezone.now()
    batches = []
    for when in (now - timedelta(seconds=1), now + timedelta(hours=1)):
        b = batch_create(
            organization=org,
            rows=[(2, {"destination": make_recipient(), "amount": "5"})],
            actor="user:1",
        )
        batch_submit_for_approval(
            organization=org, batch_id=b.pk, actor="user:1", scheduled_for=when
        )
        batch_approve(organization=org, batch_id=b.pk, actor="user:2")
        batches.append(b)

    started = batches_execute_due(now=now)

    assert started == [batches[0].pk]
    due, later = (Batch.objects.get(pk=b.pk) for b in batches)
    assert due.status == Batch.Status.EXECUTING
    assert later.status == Batch.Status.VALIDATED
    assert Payout.objects.get(batch=due).status == Payout.Status.QUEUED
    assert batches_execute_due(now=now) == []  # executing now: not due again


def test_a_due_batch_the_wallet_cannot_cover_waits_for_funds(make_org, make_recipient):
    org = make_org(usdc="10", channels=1)
    b = batch_create(
        organization=org,
        rows=[(2, {"destination": make_recipient(), "amount": "5"})],
        actor="user:1",
    )
    batch_submit_for_approval(
        organization=org, batch_id=b.pk, actor="user:1", scheduled_for=timezone.now()
    )
    batch_approve(organization=org, batch_id=b.pk, actor="user:2")
    org.daily_cap = 1  # the rolling cap refuses it today
    org.save()

    assert batches_execute_due(now=timezone.now()) == []
    b.refresh_from_db()
    assert b.status == Batch.Status.VALIDATED


def test_the_worker_pays_an_approved_batch_when_its_time_comes(make_org, make_recipient, localnet):
    org = make_org(usdc="100", channels=1)
    ana = make_recipient()
    b = batch_create(organization=org, rows=[(2, {"destination": ana, "amount": "5"})], actor="u:1")
    batch_submit_for_approval(
        organization=org, batch_id=b.pk, actor="u:1", scheduled_for=timezone.now()
    )
    batch_approve(organization=org, batch_id=b.pk, actor="u:2")

    ran = run_sozu("worker", "--until-idle", "--threads", "2")

    assert ran.code == 0, ran.err
    b.refresh_from_db()
    assert b.status == Batch.Status.COMPLETED
    assert localnet.usdc_balance(ana) == Decimal("6")  # 1 from funding + 5
